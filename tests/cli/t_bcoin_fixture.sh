#!/bin/sh
# t_bcoin_fixture.sh — a real-wallet Bitcoin regtest chain from a real node (bcoin 1.0.2):
# build it (tests/peers/btc-regtest: setup, start, make-chain), verify it with an
# independent decoder (check.py, python3-bitcoinlib), then ingest it with chainsleuth
# and compare height, tip, txs, utxo_count and utxo_total with the node's numbers.
#
# Skips (77) without node/npm, without a C++ toolchain, without python3-bitcoinlib, or
# when bcoin is not installed yet and the npm registry does not answer (with the shared
# data present, tests/cli/run-all accepts only the last, after checking it itself).
# Two parts: the fixture and its blk-file ingest (the script's own result), and the
# RPC comparison against the live node that built it, reported as the separate result
# "t_bcoin_fixture_rpc": when the chain comes from $CS_FIXTURE_CACHE a fresh node is fed
# the cached blocks; only if bcoin is not installed then is that part a counted skip
# ("part t_bcoin_fixture_rpc: skip ...", see run-all).
# $CS_FIXTURE_CACHE: keep the exported chain there and reuse it on later runs (then no
# node is needed). CS_BCOIN_BLOCKS / CS_BCOIN_TXPB / CS_BCOIN_SEED change the chain
# (defaults 300 segwit-era blocks after bcoin's 432-block segwit bootstrap, 8 tx per
# block, seed 1: about 730 blocks and 3,500 transactions, ~2 minutes here).
. "$(dirname "$0")/lib.sh"
P=$(cd "$(dirname "$0")/../peers/btc-regtest" && pwd)
BLOCKS=${CS_BCOIN_BLOCKS:-300}
TXPB=${CS_BCOIN_TXPB:-8}
SEED=${CS_BCOIN_SEED:-1}
NODE_DIR=$T/node
cleanup() {
    [ -f "$NODE_DIR/node.pid" ] && "$P/stop" "$NODE_DIR" >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_bitcoinlib
now() { date +%s; }
t_start=$(now)

if [ -n "${CS_FIXTURE_CACHE:-}" ]; then
    OUT=$CS_FIXTURE_CACHE/btc-regtest-b$BLOCKS-k$TXPB-s$SEED
else
    OUT=$T/chain
fi
cached=0
[ -f "$OUT/truth/chain.json" ] && [ -f "$OUT/.complete" ] && cached=1

# A free port base (node HTTP = base, wallet = base + 2), so that this test can
# run beside another node, e.g. one on the default 48332; starts the node there.
start_node() {
    base=$(node -e '
        const net = require("net");
        const free = p => new Promise(r => { const s = net.createServer();
            s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
        (async () => { for (let b = 48532; b < 49500; b += 10)
            if (await free(b) && await free(b + 2)) { console.log(b); return; } process.exit(1); })();
    ') || fail "no free port pair in 48532..49500"
    pid=$("$P/start" "$NODE_DIR" "$base") || fail "start"
    echo "bcoin node pid $pid on 127.0.0.1:$base"
}

if [ $cached = 1 ]; then
    echo "using cached fixture $OUT"
else
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        skip "skipped: node/npm not installed (the bcoin fixture needs Node.js)"
    if ! "$P/setup" --check; then
        command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ||
            skip "skipped: no C++ toolchain for bcoin's native modules"
        timeout 20 npm ping --fetch-retries=0 --fetch-timeout=15000 >/dev/null 2>&1 || skip "skipped: npm registry unreachable and bcoin not installed"
    fi
    t0=$(now)
    "$P/setup" || fail "setup"
    t_setup=$(( $(now) - t0 ))
    t0=$(now)
    start_node
    t_start_node=$(( $(now) - t0 ))

    t0=$(now)
    rm -rf "$T/build"
    "$P/make-chain" "$NODE_DIR" "$T/build" --blocks "$BLOCKS" --tx-per-block "$TXPB" --seed "$SEED" ||
        fail "make-chain"
    t_chain=$(( $(now) - t0 ))
    echo "timing: setup ${t_setup}s, node start ${t_start_node}s, make-chain ${t_chain}s"
    touch "$T/build/.complete"
    if [ "$OUT" != "$T/chain" ]; then
        mkdir -p "$(dirname "$OUT")" || fail "cannot create $CS_FIXTURE_CACHE"
        rm -rf "$OUT.tmp.$$" "$OUT"
        cp -r "$T/build" "$OUT.tmp.$$" && mv "$OUT.tmp.$$" "$OUT" || fail "cannot fill the cache $OUT"
    else
        mv "$T/build" "$OUT"
    fi
fi

# Independent decoding: framing, re-serialization, merkle/witness commitments, prev
# links, node txids, UTXO recomputation against chain.json, owner coverage, spend types.
/usr/bin/python3 "$P/check.py" "$OUT" || fail "check.py found a mismatch in $OUT"

# check.py must notice a wrong truth file (one satoshi off): it is not vacuous.
mkdir -p "$T/mut/truth"
ln -s "$OUT/blocks" "$T/mut/blocks"
for f in node-decoding.jsonl owners.csv owners_h160.csv; do ln -s "$OUT/truth/$f" "$T/mut/truth/$f"; done
/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1])); j["utxo_total"] += 1
json.dump(j, open(sys.argv[2], "w"))' "$OUT/truth/chain.json" "$T/mut/truth/chain.json"
[ "$(rc /usr/bin/python3 "$P/check.py" "$T/mut")" = 1 ] || fail "check.py accepted a chain.json with utxo_total off by one"

want() { jq_ "j['$1']" <"$OUT/truth/chain.json"; }

# compare_info DB LABEL: chainsleuth's numbers for the store against the node's.
compare_info() {
    info=$("$BIN" info --db "$1" --json) || fail "$2: chainsleuth info"
    # the node's gettxoutsetinfo leaves the genesis coinbase out: compare with
    # chainsleuth's core_utxo_* figures, and check utxo_* counts it (50 BTC)
    for k in height tip txs core_utxo_count core_utxo_total; do
        got=$(echo "$info" | jq_ "j['chains']['btc']['$k']") || fail "$2: info --json has no chains.btc.$k: $info"
        exp=$(want "${k#core_}")
        [ "$got" = "$exp" ] || fail "$2: $k is $got, the node says $exp"
    done
    eq "$(echo "$info" | jq_ "j['chains']['btc']['utxo_count'] - j['chains']['btc']['core_utxo_count']")" 1 "$2: genesis outputs in utxo_count"
    eq "$(echo "$info" | jq_ "j['chains']['btc']['utxo_total'] - j['chains']['btc']['core_utxo_total']")" 5000000000 "$2: genesis value in utxo_total"
    echo "$2: height, tip, txs, utxo_count, utxo_total match the node ($(want txs) txs, $(want utxo_count) utxos)"
}

[ -x "$BIN" ] && "$BIN" ingest btc --help >/dev/null 2>&1 || fail "no chainsleuth with 'ingest btc' at $BIN"
{
    t0=$(now)
    "$BIN" ingest btc --blocks "$OUT/blocks" --db "$T/db" --quiet || fail "ingest btc --blocks $OUT/blocks"
    echo "timing: chainsleuth ingest of the blk file $(( $(now) - t0 ))s"
    compare_info "$T/db" "ingest --blocks"

    # A cached chain: when bcoin is installed, a fresh node takes the cached
    # blocks (submitblock, in file order) so the RPC comparison still runs.
    if [ $cached = 1 ] && command -v node >/dev/null 2>&1 && "$P/setup" --check; then
        t0=$(now)
        start_node
        . "$NODE_DIR/rpc.env"
        /usr/bin/python3 - "$OUT/blocks" "$RPC_URL" "$RPC_USER" "$RPC_PASSWORD" <<'PY' || fail "replaying the cached chain into a fresh node"
import base64, glob, json, os, struct, sys, urllib.request
d, url, user, pw = sys.argv[1:5]
auth = base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
n = 0
for f in sorted(glob.glob(os.path.join(d, "blk*.dat"))):
    data, off = open(f, "rb").read(), 0
    while off + 8 <= len(data) and data[off:off + 4] != b"\0\0\0\0":
        size = struct.unpack_from("<I", data, off + 4)[0]
        raw = data[off + 8:off + 8 + size]; off += 8 + size
        req = urllib.request.Request(url, json.dumps({"method": "submitblock", "params": [raw.hex()], "id": n}).encode(),
                                     {"Authorization": "Basic " + auth, "Content-Type": "application/json"})
        r = json.load(urllib.request.urlopen(req, timeout=60))
        # null = accepted; the genesis block is already there ("rejected: duplicate")
        if r.get("error") is not None or not (r.get("result") is None or str(r["result"]).endswith("duplicate")):
            sys.exit("submitblock of block %d in %s: %r" % (n, f, r))
        n += 1
print("replayed %d cached blocks into the node" % n)
PY
        echo "timing: node start and replay $(( $(now) - t0 ))s"
    fi
    # The live node as an RPC peer (started by this run, or fed the cached chain).
    if [ -f "$NODE_DIR/rpc.env" ] && [ -f "$NODE_DIR/node.pid" ]; then
        . "$NODE_DIR/rpc.env"
        "$BIN" ingest btc --rpc "$RPC_URL" --rpc-user "$RPC_USER" --rpc-password "$RPC_PASSWORD" \
            --db "$T/dbrpc" --quiet >"$T/rpc.log" 2>&1 || { cat "$T/rpc.log"; fail "ingest btc --rpc $RPC_URL"; }
        compare_info "$T/dbrpc" "ingest --rpc"
    else
        echo "part t_bcoin_fixture_rpc: skip no live node this run: the chain came from the fixture cache $OUT and bcoin is not installed"
    fi
}
echo "total $(( $(now) - t_start ))s"
