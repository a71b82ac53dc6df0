# anvil.sh — sourced by the tests that drive anvil (t_evm_anvil.sh,
# t_evm_anvil_heist.sh) after tests/cli/lib.sh, with P set to this folder and
# py to Debian's python3.  Gives:
#   MNEMONIC      a BIP-39 phrase of this project's own (entropy: the first 16
#                 bytes of keccak256("chainsleuth evm-anvil")), so the dev
#                 accounts are always the same
#   now, since    timing helpers
#   anvil_need    skip (77) without node/npm, or when anvil is not installed and
#                 the npm registry does not answer; else install it (setup) and
#                 set ANVIL (tests/cli/expected-skips accepts only those skips)
#   anvil_start   anvil on a free loopback port (chain id 31337, 10 accounts),
#                 waited for until eth_chainId answers: sets PORT, URL,
#                 ANVIL_PID; an EXIT trap stops it and removes $T
MNEMONIC="mutual garage flame barrel forget swim cover draw powder blush boat canyon"
ANVIL_PID=
cleanup() {
    if [ -n "$ANVIL_PID" ]; then
        kill "$ANVIL_PID" 2>/dev/null
        wait "$ANVIL_PID" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
since() { echo "$1 $(now)" | awk '{printf "%.1f", $2 - $1}'; }

anvil_need() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        skip "skipped: node/npm not installed (the anvil peer needs Node.js)"
    if ! "$P/setup" --check; then
        timeout 20 npm ping --fetch-retries=0 --fetch-timeout=15000 >/dev/null 2>&1 ||
            skip "skipped: npm registry unreachable and anvil not installed"
    fi
    "$P/setup" || fail "setup"
    ANVIL=$("$P/setup" --anvil-path) || fail "setup --anvil-path"
    [ -x "$BIN" ] || fail "no chainsleuth at $BIN"
}

anvil_start() {
    PORT=$(node -e '
        const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
    ') || fail "no free port"
    "$ANVIL" --host 127.0.0.1 --port "$PORT" --mnemonic "$MNEMONIC" --accounts 10 </dev/null >"$T/anvil.out" 2>&1 &
    ANVIL_PID=$!
    URL="http://127.0.0.1:$PORT/"
    $py - "$URL" "$ANVIL_PID" <<'PY' || { tail -n 20 "$T/anvil.out"; fail "anvil did not come up on $URL"; }
import json, os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
for _ in range(200):
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("anvil exited")
    try:
        r = json.load(urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}), timeout=2))
        if r.get("result") == "0x7a69":
            sys.exit(0)
        sys.exit("eth_chainId: %r (want 0x7a69 = 31337)" % r)
    except OSError:
        time.sleep(0.1)
sys.exit("no answer in 20 s")
PY
}
