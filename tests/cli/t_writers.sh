# writers: one writer per store.  A second `ingest` while the first holds the
# store fails at once (exit 1) with a message naming the first one's pid,
# and changes nothing; readers go on answering; after the first writer is
# killed with SIGKILL its lock is gone and the next ingest proceeds and ends
# with the same column checksums as a clean ingest.
. "$(dirname "$0")/lib.sh"
"$GENBIN" --out "$T/g" --txs 3000 --seed 2 >/dev/null || fail "generator"
B="$T/g/blocks"
"$BIN" ingest btc --blocks "$B" --db "$T/clean" --quiet || fail "clean ingest"
want=$("$BIN" verify --db "$T/clean") || fail "verify of the clean store"
"$BIN" ingest btc --blocks "$B" --db "$T/db" --quiet --commit-every 1 --stop-height 5 || fail "first blocks"
"$BIN" ingest btc --blocks "$B" --db "$T/db" --quiet --commit-every 1 &
pid=$!
kill -STOP $pid # holds the lock (taken at open) until it is continued or killed
i=0
while ! grep -q "^$pid\$" "$T/db/btc/LOCK" 2>/dev/null; do # its pid is in LOCK once it has the lock
    kill -CONT $pid; sleep 0.01; kill -STOP $pid
    i=$((i + 1)); [ $i -lt 500 ] || fail "first writer never took the lock"
done
before=$("$BIN" verify --db "$T/db") || fail "verify while a writer holds the store"
err=$("$BIN" ingest btc --blocks "$B" --db "$T/db" --quiet 2>&1); code=$?
eq "$code" 1 "exit code of the second writer"
case $err in *"another chainsleuth process (pid $pid) is writing this store"*) ;;
    *) fail "second writer's message does not name pid $pid: $err" ;; esac
eq "$(echo "$err" | wc -l)" 1 "lines of the second writer's message"
eq "$("$BIN" verify --db "$T/db")" "$before" "store after the refused writer"
kill -9 $pid; wait $pid 2>/dev/null
"$BIN" ingest btc --blocks "$B" --db "$T/db" --quiet || fail "ingest after the holder was killed"
eq "$("$BIN" verify --db "$T/db")" "$want" "resumed store equals a clean ingest"
echo ok
