# ingest btc --rpc against a real node (bcoin 1.0.2 regtest, tests/peers/btc-regtest):
# blocks by JSON-RPC, a reorg made with invalidateblock + a competing branch (the
# result equals a fresh ingest of the node's chain), --follow picking up new blocks,
# and clear errors for bad credentials and a peer that answers garbage.
. "$(dirname "$0")/lib.sh"
P=$(cd "$(dirname "$0")/../peers/btc-regtest" && pwd)
need_bitcoinlib
command -v node >/dev/null 2>&1 || skip "skipped: node not installed (the RPC peer is bcoin on Node.js)"
if ! "$P/setup" --check >/dev/null 2>&1; then
    timeout 30 npm ping >/dev/null 2>&1 || skip "skipped: bcoin not installed and the npm registry is unreachable"
    "$P/setup" >/dev/null || fail "bcoin setup"
fi
# two nodes: A, and B which shares A's first 10 blocks and then mines its own branch
free_base() { node -e '
    const net = require("net");
    const free = p => new Promise(r => { const s = net.createServer();
        s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
    (async () => { for (let b = +process.argv[1]; b < 49500; b += 10)
        if (await free(b) && await free(b + 2)) { console.log(b); return; } process.exit(1); })();' "$1"; }
baseA=$(free_base 48632) || fail "no free port"
"$P/start" "$T/nodeA" "$baseA" >/dev/null || fail "bcoin start A"
trap '"$P/stop" "$T/nodeA" >/dev/null 2>&1; "$P/stop" "$T/nodeB" >/dev/null 2>&1; rm -rf "$T"' EXIT
baseB=$(free_base $((baseA + 10))) || fail "no free port"
"$P/start" "$T/nodeB" "$baseB" >/dev/null || fail "bcoin start B"
use() { . "$T/node$1/rpc.env"; }
rpc() { # rpc METHOD PARAMS-JSON -> result as JSON (node chosen with `use`)
    curl -s -u "$RPC_USER:$RPC_PASSWORD" -d "{\"method\":\"$1\",\"params\":$2}" "$RPC_URL" |
        jq_ "json.dumps(j['result']) if j.get('error') is None else (_ for _ in ()).throw(SystemExit(str(j['error'])))"
}
# bcoin regtest P2PKH version byte is 0x3c
addr() { /usr/bin/python3 -c "from bitcoin.base58 import CBase58Data; print(CBase58Data.from_bytes(bytes([$1]*20), 0x3c))"; }
A1=$(addr 1); A2=$(addr 2)
I() { "$BIN" ingest btc --rpc "$RPC_URL" --rpc-user "$RPC_USER" --rpc-password "$RPC_PASSWORD" --quiet "$@"; }
info() { "$BIN" info --db "$1" --json | jq_ "j['chains']['btc']['$2']"; }
node_tip() { rpc getbestblockhash '[]' | tr -d '"'; }

use A
rpc generatetoaddress "[30,\"$A1\"]" >/dev/null || fail "generate on A"
I --db "$T/db" || fail "ingest --rpc"
eq "$(info "$T/db" height)" 30 "height"
eq "$(info "$T/db" tip)" "$(node_tip)" "tip"
eq "$(info "$T/db" network)" regtest "network from getblockchaininfo"
I --db "$T/db" --json | grep -q '"blocks":0' || fail "a second run appended blocks"
for h in $(seq 1 10); do
    use A; hash=$(rpc getblockhash "[$h]" | tr -d '"'); raw=$(rpc getblock "[\"$hash\",0]" | tr -d '"')
    use B; rpc submitblock "[\"$raw\"]" >/dev/null || fail "submitblock $h to B"
done
use B
eq "$(rpc getblockcount '[]')" 10 "B's height after taking A's first 10 blocks"
rpc generatetoaddress "[25,\"$A2\"]" >/dev/null || fail "generate on B"
# B's chain forks from ours after height 10: deeper than --max-reorg 5 is refused
err=$(I --db "$T/db" --max-reorg 5 2>&1); code=$?
eq "$code" 1 "exit code of a refused deep reorg"
echo "$err" | grep -q "forks 20 blocks below our tip.*refusing to roll back more than 5" || fail "message: $err"
eq "$(info "$T/db" height)" 30 "height after the refused reorg"
out=$(I --db "$T/db" --json) || fail "ingest after reorg"
eq "$(echo "$out" | jq_ "j['rolled_back']")" 20 "blocks rolled back"
eq "$(info "$T/db" height)" 35 "height after reorg"
eq "$(info "$T/db" tip)" "$(node_tip)" "tip after reorg"
I --db "$T/fresh" || fail "fresh ingest"
eq "$("$BIN" verify --db "$T/db")" "$("$BIN" verify --db "$T/fresh")" "reorged store vs fresh ingest of the node's chain"

# --follow: new blocks arrive while it polls
use B
# (the binary itself in the background: a backgrounded shell function would be a
# subshell that ignores SIGINT)
"$BIN" ingest btc --rpc "$RPC_URL" --rpc-user "$RPC_USER" --rpc-password "$RPC_PASSWORD" --quiet \
    --db "$T/db" --follow --poll 0.3 &
fpid=$!
sleep 1
rpc generatetoaddress "[3,\"$A2\"]" >/dev/null
want=$(node_tip)
for i in $(seq 1 100); do
    [ "$(info "$T/db" tip 2>/dev/null)" = "$want" ] && break
    sleep 0.2
done
kill -INT $fpid; wait $fpid; code=$?
eq "$code" 130 "exit code of --follow after SIGINT"
eq "$(info "$T/db" tip)" "$want" "tip after --follow"

# credentials from a bitcoind-style cookie file
printf '__cookie__:%s\n' "$RPC_PASSWORD" > "$T/.cookie"
"$BIN" ingest btc --rpc "$RPC_URL" --rpc-cookie "$T/.cookie" --db "$T/dbc" --quiet || fail "ingest with --rpc-cookie"
eq "$(info "$T/dbc" tip)" "$(node_tip)" "tip with --rpc-cookie"

# bad credentials, a refused connection, a peer that answers garbage
err=$("$BIN" ingest btc --rpc "$RPC_URL" --rpc-user x --rpc-password wrong --db "$T/db2" --quiet 2>&1); code=$?
eq "$code" 1 "exit code with a wrong password"
echo "$err" | grep -q "getblockchaininfo.*401" || fail "message for a wrong password: $err"
err=$("$BIN" ingest btc --rpc http://127.0.0.1:1/ --db "$T/db2" --quiet 2>&1); code=$?
eq "$code" 1 "exit code with nothing listening"
echo "$err" | grep -q "rpc getblockchaininfo: .*refused" || fail "message for a refused connection: $err"
/usr/bin/python3 - "$T/port" <<'PY' &
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        body = b'{"result": {"chain": "regtest"}, "error": null, "id": 1}' if b'getblockchaininfo' in self.raw_requestline + b'' else b'<html>garbage'
        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = socketserver.TCPServer(('127.0.0.1', 0), H); open(sys.argv[1], 'w').write(str(s.server_address[1]))
s.timeout = 10
for _ in range(4): s.handle_request()
PY
gpid=$!
for i in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
err=$("$BIN" ingest btc --rpc "http://127.0.0.1:$(cat "$T/port")/" --db "$T/db3" --quiet 2>&1); code=$?
kill $gpid 2>/dev/null
eq "$code" 1 "exit code with a garbage peer"
echo "$err" | grep -q "rpc getblockchaininfo" || fail "message for a garbage peer: $err"
echo "ok: $err"
