#!/bin/sh
# t_evm_anvil.sh — `ingest evm --rpc` against a real EVM node: anvil (foundry, from npm),
# chain id 31337 (chainsleuth's devnet), on a free loopback port.
#  1. tests/peers/evm-anvil/make-chain.js deploys the project's contracts (contracts.sol,
#     compiled offline with solc-js) and sends ETH transfers of tx types 0/1/2, ERC-20
#     transfer/approve/transferFrom, a WETH-style deposit/withdraw, a payment through two
#     contracts (internal CALLs at depth 1 and 2), creations with value (top level and
#     inner CREATE), SELFDESTRUCTs with value, reverted txs, a tx whose inner calls revert
#     under a successful outer call, and a block of 8 txs; it writes every account that
#     appeared with the node's balances.
#  2. chainsleuth ingests blocks 0..tip. Ledger invariant, for every account: the stored
#     ETH balance equals eth_getBalance(tip) MINUS eth_getBalance(block 0), i.e. the change
#     since genesis (the dev accounts' 10,000 ETH come from the genesis alloc, which is no
#     transfer); the stored Pebble (ERC-20) balance equals balanceOf (the zero address, the
#     mint's source, at -supply). Per scenario: fees = gasUsed × effectiveGasPrice, burn and
#     tip to the miner; the reverted txs "failed" with only their fee; the reverted inner
#     transfers absent; SELFDESTRUCT as kind "selfdestruct"; trace_method
#     "debug_traceBlockByNumber". (check.py in the peer folder does the comparing.)
#     anvil answers JSON-RPC batches, so the calls go in batch POSTs; an
#     ingest with --rpc-no-batch (one call per POST) gives the same store.
#  3. Reorg: anvil_reorg replaces the last 3 blocks by 3 others with other txs, and one more
#     block is mined, so the new branch is one block longer. One more `ingest evm` (no
#     --from, no --follow) must find the parentHash mismatch, roll back 3 blocks to the fork
#     point and ingest the new branch: the store then equals a fresh ingest of the node
#     (info --json and tx --json of every tx), the old branch's txs are in neither, and the
#     ledger invariant holds again at the new tip.
#  4. A reorg that keeps the height (the last 2 blocks replaced, none added) while an
#     `ingest evm --follow` runs: its next poll compares the stored tip's hash with the
#     node's at that height, rolls back 2 blocks and ingests the 2 new ones; after SIGINT
#     (exit 130) the store equals a fresh ingest and the ledger holds.
# Skips (77) without node/npm, or when the peer packages are not installed and the npm
# registry does not answer (tests/cli/expected-skips accepts only that, after checking it).
# Under 10 s here once installed (setup from nothing: ~5 s).
. "$(dirname "$0")/lib.sh"
P=$(cd "$(dirname "$0")/../peers/evm-anvil" && pwd)
py=/usr/bin/python3
. "$P/anvil.sh"
REORG_DEPTH=3
t_start=$(now)

t0=$(now)
anvil_need
echo "timing: setup $(since "$t0")s"
t0=$(now)
anvil_start
echo "anvil $("$ANVIL" --version | sed -n 's/^anvil Version: //p') pid $ANVIL_PID on $URL, up in $(since "$t0")s"

t0=$(now)
node "$P/make-chain.js" "$URL" "$T/chain" --mnemonic "$MNEMONIC" || fail "make-chain.js"
echo "timing: make-chain $(since "$t0")s"

# ---- ingest from block 0 and compare with the node ----
t0=$(now)
"$BIN" ingest evm --rpc "$URL" --chain devnet --from 0 --db "$T/db" --json >"$T/ingest.json" 2>"$T/ingest.err" ||
    fail "ingest evm --rpc $URL: $(cat "$T/ingest.err")"
echo "timing: ingest $(since "$t0")s: $(cat "$T/ingest.json")"
eq "$(jq_ "(j['trace_method'], j['receipts_method'], j['blocks'], j['txs'])" <"$T/ingest.json")" \
    "('debug_traceBlockByNumber', 'eth_getBlockReceipts', $(jq_ "j['tip'] + 1" <"$T/chain/chain.json"), $(jq_ "len(j['txs'])" <"$T/chain/chain.json"))" \
    "ingest summary (trace method, receipts method, blocks, txs)"
$py "$P/check.py" ledger "$BIN" "$T/db" "$T/chain/chain.json" || fail "ledger invariant"
# the comparison is not vacuous: one wei more on one account's node balance must be caught
$py -c '
import json, sys
c = json.load(open(sys.argv[1])); a = sorted(c["accounts"])[-1]
c["accounts"][a]["eth"] = str(int(c["accounts"][a]["eth"]) + 1); json.dump(c, open(sys.argv[2], "w"))' \
    "$T/chain/chain.json" "$T/mut.json" || fail "mutating chain.json"
[ "$(rc $py "$P/check.py" ledger "$BIN" "$T/db" "$T/mut.json")" = 1 ] || fail "check.py accepted a balance one wei off"
$py "$P/check.py" scenarios "$BIN" "$T/db" "$T/chain/chain.json" "$URL" || fail "scenario checks"
# anvil answers JSON-RPC batches: the window's calls went in batch POSTs; the
# same ingest one call per POST (--rpc-no-batch) gives the same store
eq "$(jq_ "(j['batch'], j['posts'] < j['calls'] / 2)" <"$T/ingest.json")" "(True, True)" "batched ingest (batch, posts < calls/2)"
"$BIN" ingest evm --rpc "$URL" --chain devnet --from 0 --db "$T/dbnb" --rpc-no-batch --json --quiet >"$T/nb.json" ||
    fail "ingest --rpc-no-batch"
eq "$(jq_ "(j['batch'], j['posts'] >= j['calls'])" <"$T/nb.json")" "(False, True)" "--rpc-no-batch (batch, posts >= calls)"
$py -c '
import json, sys
c = json.load(open(sys.argv[1])); c.setdefault("old_txs", []); c.setdefault("new_txs", [])
json.dump(c, open(sys.argv[2], "w"))' "$T/chain/chain.json" "$T/nb-same.json" || fail "nb-same.json"
$py "$P/check.py" same "$BIN" "$T/db" "$T/dbnb" "$T/nb-same.json" >/dev/null || fail "batched and unbatched ingests differ"
eq "$("$BIN" verify --chain devnet --db "$T/db" --checksums-only --json | jq_ "j.get('columns', j)")" \
    "$("$BIN" verify --chain devnet --db "$T/dbnb" --checksums-only --json | jq_ "j.get('columns', j)")" "column checksums, batched vs not"
echo "ok: batches $(jq_ "(j['calls'], j['posts'])" <"$T/ingest.json") (calls, POSTs); without: $(jq_ "(j['calls'], j['posts'])" <"$T/nb.json"); same store"

# ---- reorg: the last REORG_DEPTH blocks replaced, one block more ----
node "$P/make-chain.js" "$URL" "$T/chain" --mnemonic "$MNEMONIC" --reorg "$REORG_DEPTH" || fail "make-chain.js --reorg"
t0=$(now)
"$BIN" ingest evm --rpc "$URL" --chain devnet --db "$T/db" --json >"$T/reorg.json" 2>"$T/reorg.err" ||
    fail "ingest after the reorg: $(cat "$T/reorg.err")"
echo "timing: ingest after the reorg $(since "$t0")s: $(cat "$T/reorg.json")"
"$BIN" ingest evm --rpc "$URL" --chain devnet --from 0 --db "$T/db2" --json --quiet >"$T/fresh.json" ||
    fail "fresh ingest after the reorg"
$py "$P/check.py" same "$BIN" "$T/db" "$T/db2" "$T/chain/reorg.json" || fail "re-ingested store differs from a fresh ingest"
$py "$P/check.py" ledger "$BIN" "$T/db" "$T/chain/reorg.json" || fail "ledger invariant after the reorg"
eq "$(jq_ "(j['blocks'], j['rolled_back'])" <"$T/reorg.json")" "($((REORG_DEPTH + 1)), $REORG_DEPTH)" \
    "ingest after the reorg: (blocks ingested, blocks rolled back)"

# ---- a reorg that keeps the height, seen by a running --follow ----
"$BIN" ingest evm --rpc "$URL" --chain devnet --db "$T/db" --follow --poll 0.2 --json >"$T/same.json" 2>"$T/same.err" &
FPID=$!
tip_of() { "$BIN" info --db "$1" --json 2>/dev/null | $py -c 'import json,sys; print(json.load(sys.stdin)["chains"]["devnet"]["tip"])'; }
sleep 1
node "$P/make-chain.js" "$URL" "$T/chain" --mnemonic "$MNEMONIC" --reorg 2 --same-height || fail "make-chain.js --reorg 2 --same-height"
want_tip=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["tip_hash"])' "$T/chain/reorg-same.json")
for _ in $(seq 100); do [ "$(tip_of "$T/db")" = "$want_tip" ] && break; sleep 0.1; done
kill -INT "$FPID"; wait "$FPID"; frc=$?
[ "$frc" = 130 ] || fail "ingest --follow after SIGINT: exit $frc: $(cat "$T/same.err")"
echo "ingest --follow across the same-height reorg: $(cat "$T/same.json")"
eq "$(tip_of "$T/db")" "$want_tip" "the following store's tip after the same-height reorg"
eq "$(jq_ "(j['blocks'], j['rolled_back'])" <"$T/same.json")" "(2, 2)" \
    "ingest --follow across the same-height reorg: (blocks ingested, blocks rolled back)"
rm -rf "$T/db2"
"$BIN" ingest evm --rpc "$URL" --chain devnet --from 0 --db "$T/db2" --json --quiet >"$T/fresh2.json" ||
    fail "fresh ingest after the same-height reorg"
$py "$P/check.py" same "$BIN" "$T/db" "$T/db2" "$T/chain/reorg-same.json" || fail "store after the same-height reorg differs from a fresh ingest"
$py "$P/check.py" ledger "$BIN" "$T/db" "$T/chain/reorg-same.json" || fail "ledger invariant after the same-height reorg"
echo "ok: anvil chain ingested; ledger equals the node's balances; reorgs of $REORG_DEPTH blocks (one longer) and 2 blocks (same height) rolled back; total $(since "$t_start")s"
