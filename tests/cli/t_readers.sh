# Readers never crash and never lie (store issue "readers never crash"):
#  1. fault injection: ingest (commit every block) is killed with SIGKILL at 20
#     moments drawn from a fixed seed; after each kill, before anything repairs
#     the store, `verify` must pass and `address --json` for 200 addresses must
#     equal a clean store ingested up to the same committed height; the resumed
#     ingest must end with a clean ingest's column checksums;
#  2. concurrency: verify, address and trace run in a loop while ingest commits
#     every block: every verify passes, no command crashes or says "corrupt",
#     and address answers only move forward (balance = received - sent).
. "$(dirname "$0")/lib.sh"
"$GENBIN" --out "$T/g" --txs 30000 --seed 1 --scenario heist >/dev/null || fail "generator"
B="$T/g/blocks"
# 200 addresses: the miners' payout addresses (long output lists that cross
# every commit) come first in owners.csv, then users and exchanges
naddr=200
case "$BIN" in */check/*) naddr=40 ;; esac # ASan: 5x slower processes; same code paths
sed -n "2,$((naddr + 1))p" "$T/g/truth/owners.csv" | cut -d, -f1 >"$T/addrs"
answers() { # DB -> one line per address
    while read -r a; do "$BIN" address "$a" --db "$1" --json 2>&1 || echo "rc=$? for $a"; done <"$T/addrs"
}
"$BIN" ingest btc --blocks "$B" --db "$T/clean" --quiet || fail "clean ingest"
want=$("$BIN" verify --db "$T/clean") || fail "verify of the clean store"

# ---- 1. kill -9 at 20 moments
RANDOM=4242
kills=0 runs=0 rounds=0
while :; do
    runs=$((runs + 1))
    [ $runs -le 200 ] || fail "ingest did not finish after 200 runs"
    "$BIN" ingest btc --blocks "$B" --db "$T/db" --quiet --commit-every 1 &
    pid=$!
    if [ $kills -lt 20 ]; then
        sleep "0.$(printf '%03d' $((RANDOM % 250 + 20)))"
        if kill -9 $pid 2>/dev/null; then
            wait $pid 2>/dev/null
            kills=$((kills + 1))
            h=$("$BIN" info --db "$T/db" --json | jq_ "j['chains']['btc']['height']") || fail "info after kill $kills"
            out=$("$BIN" verify --db "$T/db" 2>&1) || fail "verify after kill $kills (height $h): $out"
            [ "$(echo "$out" | tail -n 1)" = consistent ] || fail "verify after kill $kills: $out"
            rm -rf "$T/ref"
            if [ "$h" -ge 0 ]; then
                "$BIN" ingest btc --blocks "$B" --db "$T/ref" --quiet --stop-height "$h" || fail "reference ingest to $h"
                answers "$T/ref" >"$T/want.txt"
                answers "$T/db" >"$T/got.txt"
                cmp -s "$T/want.txt" "$T/got.txt" || fail "kill $kills at height $h: address answers differ from the last commit: $(diff "$T/want.txt" "$T/got.txt" | head -5)"
            fi
            echo "kill $kills after run $runs: committed height $h, verify ok, $naddr addresses equal the last commit"
            continue
        fi
    fi
    wait $pid || fail "ingest run $runs failed"
    # the resumed ingest reached the tip: it must equal a clean ingest
    got=$("$BIN" verify --db "$T/db") || fail "store inconsistent after the kills"
    [ "$got" = "$want" ] || fail "store after $kills kills differs from a clean ingest"
    rounds=$((rounds + 1))
    echo "round $rounds: resumed store equals a clean ingest"
    [ $kills -lt 20 ] || break
    rm -rf "$T/db" # another round from an empty store, so kills land at every height
done
[ $kills -eq 20 ] || fail "only $kills kills landed"
echo "fault injection: 20 kills in $rounds rounds, each resumed store equals a clean ingest"

# ---- 2. readers while ingest commits every block
drain=$(jq_ "j['drain_txid']" <"$T/g/truth/heist.json")
rm -rf "$T/c"
"$BIN" ingest btc --blocks "$B" --db "$T/c" --quiet --commit-every 1 --stop-height 0 || fail "first block"
"$BIN" ingest btc --blocks "$B" --db "$T/c" --quiet --commit-every 1 &
ing=$!
miner=$(head -n 1 "$T/addrs")
nv=0 na=0 nt=0 prev_tx=0
check_rc() { # rc output what: a signal or "corrupt" fails
    [ "$1" -lt 128 ] || fail "$3 died with signal $(($1 - 128))"
    case "$2" in *corrupt*) fail "$3 reported corruption on a sound store: $2" ;; esac
}
while kill -0 $ing 2>/dev/null; do
    out=$("$BIN" verify --db "$T/c" 2>&1); rc=$?
    check_rc $rc "$out" verify
    [ $rc = 0 ] || fail "verify during ingest: $out"
    nv=$((nv + 1))
    out=$("$BIN" address "$miner" --db "$T/c" --json 2>&1); rc=$?
    check_rc $rc "$out" address
    if [ $rc = 0 ]; then
        r=$(echo "$out" | jq_ "(j['balance'] == j['received'] - j['sent'], j['tx_count'])")
        case "$r" in "(True, "*) ;; *) fail "address answer inconsistent: $out" ;; esac
        t=${r#(True, }; t=${t%)}
        [ "$t" -ge "$prev_tx" ] || fail "address went back in time: $t after $prev_tx txs"
        prev_tx=$t
        na=$((na + 1))
    fi
    out=$("$BIN" trace --tx "$drain" --db "$T/c" --policy haircut --json 2>&1); rc=$?
    check_rc $rc "$out" trace
    [ $rc = 0 ] || [ $rc = 1 ] || fail "trace rc $rc: $out"
    [ $rc = 0 ] && nt=$((nt + 1))
done
wait $ing || fail "ingest during the readers failed"
[ $nv -ge 5 ] || fail "only $nv verify runs overlapped the ingest"
final=$("$BIN" address "$miner" --db "$T/c" --json)
eq "$final" "$("$BIN" address "$miner" --db "$T/clean" --json)" "final answer"
echo "concurrency: $nv verify, $na address, $nt trace runs during ingest; 0 crashes, 0 false corrupt"
