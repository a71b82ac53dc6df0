# Differential test against python-bitcoinlib on real mainnet/testnet blocks:
# decode of every single block, and the store after ingesting blocks 0-4312.
. "$(dirname "$0")/lib.sh"
need_data; need_bitcoinlib
B=$DATA/btc-blocks
mkdir -p "$T/blocks"
cp "$B/blk00000_first1MB_h0-4312.dat" "$T/blocks/blk00000.dat"
"$BIN" ingest btc --blocks "$T/blocks" --db "$T/db" --quiet || fail "ingest"
info=$("$BIN" info --db "$T/db" --json)
eq "$(echo "$info" | jq_ "j['chains']['btc']['height']")" 4312 "height"
eq "$(echo "$info" | jq_ "j['chains']['btc']['txs']")" 4371 "txs"
eq "$(echo "$info" | jq_ "j['chains']['btc']['utxo_total']")" 21565000000000 "utxo_total"
eq "$(echo "$info" | jq_ "j['chains']['btc']['tip']")" 00000000a9da635727dce622d78361b153ce3334e6a60d4377fad529abfc7863 "tip"
/usr/bin/python3 tests/diff/btc_diff.py store "$BIN" "$T/db" "$T/blocks/blk00000.dat" || fail "store differs from python-bitcoinlib"
bzcat "$B/277647.dat.bz2" > "$T/277647.dat"
bzcat "$B/blocks1-256.bz2" > "$T/blocks1-256.dat"
/usr/bin/python3 tests/diff/btc_diff.py decode "$BIN" "$T/blocks/blk00000.dat" "$B/bitcoinj/first-100k-blocks.dat" \
    "$T/277647.dat" "$T/blocks1-256.dat" \
    "$B"/bitcoinj/block169482.dat "$B"/bitcoinj/block227835.dat "$B"/bitcoinj/block227836.dat \
    "$B"/bitcoinj/block363703.dat "$B"/bitcoinj/block370661.dat "$B"/bitcoinj/block383616.dat \
    "$B"/bitcoinj/block481815.dat "$B"/bitcoinj/block481829.dat \
    "$B"/block-*.blk "$B"/mainnet_block_*.raw || fail "mainnet decode differs"
/usr/bin/python3 tests/diff/btc_diff.py decode "$BIN" --network=testnet3 "$B"/bitcoinj/block_testnet*.dat \
    "$B"/testnet_block_*.raw || fail "testnet decode differs"
echo ok
