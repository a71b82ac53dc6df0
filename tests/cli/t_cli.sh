# t_cli.sh — the CLI layer (src/cli/opt.h) end to end, for every command:
#  - `--help` exits 0 and prints the help on stdout (nothing on stderr);
#  - `--bogus` exits 2 with exactly one stderr line naming the option;
#  - `--limit -1` (and an overflowing or trailing-garbage number) exits 2;
#  - a tag whose label holds byte 0xFF, imported from CSV: either the importer
#    rejects the row naming its line, or `tags list --json` and `entity --json`
#    are valid JSON and valid UTF-8 (Python's json.load on the bytes).  Never
#    invalid JSON.
. "$(dirname "$0")/lib.sh"

CMDS="info block tx address decode verify tags cluster trace entity ingest"
for c in $CMDS; do
    "$BIN" $c --help >"$T/out" 2>"$T/err"; r=$?
    eq "$r" 0 "$c --help exit code"
    [ -s "$T/out" ] || fail "$c --help printed nothing on stdout"
    [ -s "$T/err" ] && fail "$c --help wrote to stderr: $(cat "$T/err")"
    grep -q -- '--help' "$T/out" || grep -q 'usage:' "$T/out" || fail "$c --help: no usage text"
done
# the help of tables lists -h, --help itself
for c in info block tx address decode verify cluster trace entity ingest; do
    "$BIN" $c --help | grep -q -- '-h, --help' || fail "$c --help does not list -h, --help"
done

for c in $CMDS; do
    "$BIN" $c --bogus >"$T/out" 2>"$T/err"; r=$?
    eq "$r" 2 "$c --bogus exit code"
    eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "$c --bogus: stderr lines ($(cat "$T/err"))"
    grep -q -- "--bogus" "$T/err" || fail "$c --bogus: message does not name the option: $(cat "$T/err")"
    [ -s "$T/out" ] && fail "$c --bogus wrote to stdout"
done
eq "$(head -n 1 <<EOF
$("$BIN" info --bogus 2>&1)
EOF
)" "chainsleuth info: unknown option '--bogus' (see chainsleuth info --help)" "info --bogus message"
for sub in import list categories; do
    "$BIN" tags $sub --bogus >/dev/null 2>"$T/err"; r=$?
    eq "$r" 2 "tags $sub --bogus exit code"
    eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "tags $sub --bogus: stderr lines"
done
# ingest's numbers: overflow is not truncated, 0 windows and bad polls refused
for a in "--max-reorg 99999999999999" "--rpc-window 0" "--rpc-timeout 1x" "--commit-every -1" \
    "--stop-height 5000000000" "--poll -1"; do
    "$BIN" ingest btc --blocks "$T" $a >/dev/null 2>"$T/err"; r=$?
    eq "$r" 2 "ingest btc $a exit code"
    eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "ingest btc $a: stderr lines ($(cat "$T/err"))"
done

# numbers: negative, overflowing, trailing garbage, empty: exit 2, one line
for v in -1 18446744073709551616 12abc ""; do
    for c in "address 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2" "entity 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2" "tags list"; do
        "$BIN" $c --db "$T/none" --limit "$v" >/dev/null 2>"$T/err"; r=$?
        eq "$r" 2 "$c --limit '$v' exit code"
        eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "$c --limit '$v': stderr lines"
        grep -q -- "--limit: '$v'" "$T/err" || fail "$c --limit '$v': message: $(cat "$T/err")"
    done
done
eq "$(rc "$BIN" trace --db "$T/none" --tx 00 --policy fifo --max-hops 99999999999999)" 2 "--max-hops overflow"
eq "$(rc "$BIN" trace --db "$T/none" --tx 00 --policy fifo --until-height 5x)" 2 "--until-height garbage"
eq "$(rc "$BIN" block 1 --db "$T/none" --db "$T/none")" 2 "repeated --db"
eq "$(rc "$BIN" info --json=yes)" 2 "value for a flag"
eq "$(rc "$BIN" tags list --limit)" 2 "missing value"
# --opt=value and --opt value are the same
e1=$("$BIN" info --db "$T/none" 2>&1); e2=$("$BIN" info --db="$T/none" 2>&1)
eq "$e2" "$e1" "--db=DIR and --db DIR"

# a label with byte 0xFF
[ -x "${GENBIN:-}" ] || fail "no chainsleuth-gen at '${GENBIN:-}' (make builds it)"
"$GENBIN" --out "$T/gen" --txs 1000 --seed 5 --quiet >/dev/null 2>&1 || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" cluster --db "$T/db" --quiet >/dev/null 2>&1 || fail "cluster"
# --chain: an unknown name is a usage error naming the known chains; a known
# chain the command cannot serve is a plain error; info lists the chains
txid=$("$BIN" block 1 --db "$T/db" --json --txs | jq_ "j['txs'][0]") || fail "block 1"
caddr=$("$BIN" tx "$txid" --db "$T/db" --json | jq_ "j['outputs'][0]['address']") || fail "tx"
for c in info "block 1" "tx $txid" "address $caddr" verify cluster "trace --tx $txid --policy poison" "entity $caddr"; do
    "$BIN" $c --db "$T/db" --chain doge >"$T/out" 2>"$T/err"; r=$?
    eq "$r" 2 "$c --chain doge exit code"
    eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "$c --chain doge: stderr lines ($(cat "$T/err"))"
    grep -q "unknown chain 'doge' (known: btc, eth, sepolia, bsc, polygon, arbitrum, optimism, base, avalanche, devnet)" "$T/err" || fail "$c --chain doge: $(cat "$T/err")"
    "$BIN" $c --db "$T/db" --chain eth >"$T/out" 2>"$T/err"; r=$?
    eq "$r" 1 "$c --chain eth exit code"
    case ${c%% *} in # eth is stored in its own schema: no such store here, or not an
    info | block | tx | verify | cluster | trace) want="$T/db: no eth store here (run \`chainsleuth ingest evm\` first)" ;;
    address) want="'$caddr': not an EVM address (0x and 40 hex digits)" ;;
    *) want="chain eth: \`${c%% *}\` is not built for EVM chains yet" ;;
    esac
    eq "$(cat "$T/err")" "chainsleuth ${c%% *}: $want" "$c --chain eth message"
done
eq "$(rc "$BIN" ingest doge --db "$T/db")" 2 "ingest doge exit code"
"$BIN" info --db "$T/db" --json >"$T/info.json" || fail "info --json"
eq "$(jq_ "sorted(j['chains'])" <"$T/info.json")" "['btc']" "info --json chains"
eq "$(jq_ "j['chains']['btc']['txs']" <"$T/info.json")" \
    "$("$BIN" info --db "$T/db" --chain btc --json | jq_ "j['chains']['btc']['txs']")" "info --chain btc txs"
"$BIN" info --db "$T/db" | head -n 1 | grep -q '^chain      btc (main)$' || fail "info text: $("$BIN" info --db "$T/db" | head -n 1)"
addr=$("$BIN" block 1 --db "$T/db" --json --txs | jq_ "j['txs'][0]") || fail "block 1"
addr=$("$BIN" tx "$addr" --db "$T/db" --json | jq_ "j['outputs'][0]['address']") || fail "tx"
printf 'address,label,category,source\n%s,bad\377label,scam,t_cli\n' "$addr" >"$T/ff.csv"
valid_json() { # FILE WHAT: strict UTF-8 and JSON, as Python reads bytes
    /usr/bin/python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$1" ||
        fail "$2: not valid JSON in valid UTF-8"
}
"$BIN" tags import "$T/ff.csv" --db "$T/db" --json >"$T/imp.json" 2>"$T/imp.err"; r=$?
valid_json "$T/imp.json" "tags import --json"
if [ "$(jq_ "j['files'][0]['rejected']" <"$T/imp.json")" = 1 ]; then
    # the importer refuses invalid UTF-8: the reject names line 2
    eq "$(jq_ "j['files'][0]['rejects'][0]['line']" <"$T/imp.json")" 2 "0xFF row rejected at line 2"
    echo "0xFF label rejected by the importer (line 2): $(jq_ "j['files'][0]['rejects'][0]['reason']" <"$T/imp.json")"
else
    eq "$r" 0 "tags import of the 0xFF label"
    eq "$(jq_ "j['files'][0]['added']" <"$T/imp.json")" 1 "0xFF row added"
    "$BIN" tags list --db "$T/db" --json --address "$addr" >"$T/list.json" || fail "tags list --json"
    valid_json "$T/list.json" "tags list --json"
    eq "$(/usr/bin/python3 -c 'import json,sys; print(ascii(json.load(open(sys.argv[1]))["tags"][0]["label"]))' "$T/list.json")" \
        "'bad\\ufffdlabel'" "label: byte 0xFF written as U+FFFD"
    "$BIN" entity "$addr" --db "$T/db" --json >"$T/ent.json" || fail "entity --json"
    valid_json "$T/ent.json" "entity --json"
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert any(l["label"].startswith("bad\ufffdlabel") for l in j["tags"]["labels"]), j["tags"]' "$T/ent.json" ||
        fail "entity --json lacks the label"
    echo "0xFF label imported; tags list --json and entity --json are valid UTF-8"
fi
echo "ok: $(echo $CMDS | wc -w) commands: --help, --bogus, numbers"
