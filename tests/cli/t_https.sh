# ingest btc --rpc over HTTPS against tests/cli/rpc_replay.py serving mainnet
# blocks 0-999 from the shared blk file, with a CA and server certificate made
# here with openssl: the right CA (--rpc-cacert) is accepted, a wrong CA and
# the system store are refused with a message about the certificate, basic
# auth works and the password is never printed, 429s are retried, and the
# store after --rpc-window 16 at 50 ms per call equals a blk-file ingest of
# the same blocks (info --json and verify's column checksums).  Prints the
# time of window 1 vs 16 without failing on it.
. "$(dirname "$0")/lib.sh"
need_data
command -v openssl >/dev/null 2>&1 || fail "openssl missing (scripts/install-deps installs it)"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BLK=$DATA/btc-blocks/blk00000_first1MB_h0-4312.dat
[ -f "$BLK" ] || skip "skipped: $BLK absent (shared data is not part of a clone)"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# a CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA
mkca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1 || fail "openssl: CA $1"; }
mkca ca "chainsleuth test CA"
mkca other "some other CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$T/srv.key" -out "$T/srv.csr" >/dev/null 2>&1 || fail "openssl: csr"
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
    -extfile "$T/ext" -out "$T/srv.pem" >/dev/null 2>&1 || fail "openssl: sign"

PW='s3cr3t-pw-9731'
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
serve() { # serve NAME ARGS... -> port in $T/NAME.port
    /usr/bin/python3 "$ROOT/tests/cli/rpc_replay.py" --blocks "$BLK" --port-file "$T/$1.port" --stop-height 999 \
        --user rpcuser --password "$PW" --cert "$T/srv.pem" --key "$T/srv.key" "${@:2}" 2>"$T/$1.log" &
    pids="$pids $!"
    for i in $(seq 1 100); do [ -s "$T/$1.port" ] && return 0; sleep 0.1; done
    fail "replay server $1 did not start: $(cat "$T/$1.log")"
}
serve fast
URL="https://127.0.0.1:$(cat "$T/fast.port")/"
I() { "$BIN" ingest btc --rpc "$URL" --rpc-user rpcuser --rpc-password "$PW" --quiet "$@"; }

# reference: the same 1,000 blocks from the blk file
mkdir -p "$T/blocks" && cp "$BLK" "$T/blocks/blk00000.dat"
"$BIN" ingest btc --blocks "$T/blocks" --db "$T/ref" --stop-height 999 --quiet || fail "blk ingest"

# wrong CA, and no CA option (system store): refused, naming the certificate
err=$(I --db "$T/x1" --rpc-cacert "$T/other.pem" --stop-height 5 2>&1); code=$?
eq "$code" 1 "exit code with a wrong CA"
echo "$err" | grep -qi "certificate" || fail "message for a wrong CA: $err"
echo "$err" | grep -q "$PW" && fail "password printed: $err"
err=$(I --db "$T/x2" --stop-height 5 2>&1); code=$?
eq "$code" 1 "exit code against the system CA store"
echo "$err" | grep -qi "certificate" || fail "message with the system CA store: $err"
# right CA, wrong password: 401 over TLS, password not printed
err=$("$BIN" ingest btc --rpc "$URL" --rpc-user rpcuser --rpc-password "wrong-$PW" --rpc-cacert "$T/ca.pem" \
    --db "$T/x3" --quiet 2>&1); code=$?
eq "$code" 1 "exit code with a wrong password"
echo "$err" | grep -q "HTTP 401" || fail "message for a wrong password: $err"
echo "$err" | grep -q "$PW" && fail "password printed: $err"
# credentials in the URL are not shown either
err=$("$BIN" ingest btc --rpc "https://rpcuser:$PW@127.0.0.1:1/" --db "$T/x4" --quiet --rpc-timeout 2000 2>&1)
echo "$err" | grep -q "$PW" && fail "password from the URL printed: $err"
echo "$err" | grep -q "https://127.0.0.1:1/" || fail "URL not shown for a refused port: $err"

# window 1 (first 100 blocks, for the timing only) and window 16 over all 1,000
serve slow --latency-ms 50
SLOW="https://127.0.0.1:$(cat "$T/slow.port")/"
S() { "$BIN" ingest btc --rpc "$SLOW" --rpc-user rpcuser --rpc-password "$PW" --rpc-cacert "$T/ca.pem" --quiet --json "$@"; }
o1=$(S --db "$T/w1" --rpc-window 1 --stop-height 99) || fail "ingest window 1: $o1"
o16=$(S --db "$T/w16" --rpc-window 16) || fail "ingest window 16: $o16"
s1=$(echo "$o1" | jq_ "j['seconds']"); s16=$(echo "$o16" | jq_ "j['seconds']")
echo "50 ms per call: window 1: 100 blocks in $s1 s; window 16: 1000 blocks in $s16 s"
eq "$(echo "$o16" | jq_ "j['blocks']")" 1000 "blocks ingested over HTTPS"
eq "$("$BIN" info --db "$T/w16" --json | jq_ "j['chains']['btc']")" "$("$BIN" info --db "$T/ref" --json | jq_ "j['chains']['btc']")" "info: RPC store vs blk store"
eq "$("$BIN" verify --db "$T/w16")" "$("$BIN" verify --db "$T/ref")" "verify (column checksums): RPC store vs blk store"

# 429 on the first 3 requests: retried, then the ingest succeeds
serve busy --fail-first 3
B="https://127.0.0.1:$(cat "$T/busy.port")/"
o=$("$BIN" ingest btc --rpc "$B" --rpc-user rpcuser --rpc-password "$PW" --rpc-cacert "$T/ca.pem" --quiet --json \
    --db "$T/b" --stop-height 20) || fail "ingest through 429s: $o"
eq "$(echo "$o" | jq_ "j['height']")" 20 "height after 429 retries"
echo ok
