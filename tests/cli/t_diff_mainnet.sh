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
# the first person-to-person payment (block 170): Satoshi pays Hal Finney 10 BTC
tx=$("$BIN" tx f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16 --db "$T/db" --json) || fail "tx"
eq "$(echo "$tx" | jq_ "j['height']")" 170 "tx height"
eq "$(echo "$tx" | jq_ "j['inputs'][0]['prevout']")" 0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9:0 "prevout"
eq "$(echo "$tx" | jq_ "(j['outputs'][0]['address'], j['outputs'][0]['value'])")" "('1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3', 1000000000)" "payment to Hal"
eq "$(echo "$tx" | jq_ "(j['outputs'][1]['value'], j['outputs'][1]['spent_by'], j['fee'])")" "(4000000000, 'a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be', 0)" "change and its spender"
eq "$("$BIN" block 170 --db "$T/db" --json | jq_ "(j['hash'], j['n_tx'])")" "('00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee', 2)" "block 170"
a=$("$BIN" address 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S --db "$T/db" --json --txs --limit 2) || fail "address"
eq "$(echo "$a" | jq_ "(j['first_seen'], j['last_seen'], j['tx_count'], len(j['txs']), j['txs'][0]['height'])")" "(9, 248, 6, 2, 248)" "Satoshi's block-9 address"
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
