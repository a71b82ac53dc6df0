# tagtext: rows whose text cannot be stored faithfully are rejected with their
# line, never stored cut or as invalid UTF-8 (no shared data needed): a NUL in
# a CSV label, a byte 0xFF, a 100 MB label, a NUL escape in a TagPack, an OFAC
# .json list read by the project's JSON parser.  Afterwards `tags list --json`
# is valid UTF-8 JSON holding exactly the good rows.
. "$(dirname "$0")/lib.sh"
DB="$T/db"
expect_err() { # expect_err PATTERN CMD...: exit 1 and stderr matching PATTERN
    pat=$1; shift
    err=$("$@" 2>&1 >/dev/null); code=$?
    [ $code = 1 ] || fail "exit $code (want 1) from $*: $err"
    echo "$err" | grep -Eq "$pat" || fail "message '$err' does not match /$pat/"
}
A=1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2
B=3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy
{
    printf 'address,label,category,source\n'
    printf '%s,Good,exchange,s\n' "$A"
    printf '%s,ab\000cd,exchange,s\n' "$A"
    printf '%s,bad\377name,exchange,s\n' "$A"
    printf '%s,caf\303\251,exchange,s\n' "$B"
} > "$T/t.csv"
out=$("$BIN" tags import "$T/t.csv" --db "$DB" --json) || fail "import t.csv"
eq "$(echo "$out" | jq_ "[j['files'][0][k] for k in ('rows','added','rejected')]")" "[4, 2, 2]" "csv counts"
eq "$(echo "$out" | jq_ "[(r['line'], r['reason']) for r in j['files'][0]['rejects']]")" \
    "[(3, 'bad text'), (4, 'bad text')]" "csv rejected rows"
"$BIN" tags import "$T/t.csv" --db "$DB" 2>&1 | grep -q "t.csv:3: .*column 2 holds a NUL byte" ||
    fail "text summary names line 3 and the NUL"
# 100 MB label: rejected with its line, and the import stays small
/usr/bin/python3 -c "
import sys
sys.stdout.write('address,label,category,source\n$A,' + 'x' * 100000000 + ',exchange,s\n$B,L,exchange,s\n')" > "$T/big.csv"
# peak RSS of the import, in KB, through getrusage (no GNU time on a fresh machine)
out=$(/usr/bin/python3 -c "
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)
open('$T/rss', 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.stdout.write(p.stdout.decode()); sys.exit(p.returncode)" "$BIN" tags import "$T/big.csv" --db "$DB" --json) ||
    fail "import big.csv"
eq "$(echo "$out" | jq_ "(j['files'][0]['rejected'], j['files'][0]['rejects'][0]['line'], j['files'][0]['rejects'][0]['detail'])")" \
    "(1, 2, 'column 2 is longer than 65536 bytes')" "100 MB label"
# the file is read whole (100 MB); the label is not buffered a second time
echo "  100 MB label: import peak RSS $(cat "$T/rss") KB"
[ "$(cat "$T/rss")" -lt 180000 ] || fail "100 MB label import used $(cat "$T/rss") KB"
printf 'title: P\ncurrency: BTC\nsource: s\ncategory: exchange\ntags:\n- address: %s\n  label: "a\\0b"\n- address: %s\n  label: fine\n' "$A" "$B" > "$T/p.yaml"
out=$("$BIN" tags import "$T/p.yaml" --db "$DB" --json) || fail "import p.yaml"
eq "$(echo "$out" | jq_ "[(r['line'], r['detail']) for r in j['files'][0]['rejects']]")" \
    "[(6, 'label holds a NUL byte')]" "tagpack NUL escape"
printf '["%s",\n 7,\n "\\u0031BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"]\n' "$B" > "$T/sanctioned_addresses_XBT.json"
out=$("$BIN" tags import "$T/sanctioned_addresses_XBT.json" --db "$DB" --json) || fail "import json list"
eq "$(echo "$out" | jq_ "[j['files'][0][k] for k in ('format','added','rejected')]")" \
    "['ofac-list', 2, 1]" "json list (escape resolved, number rejected)"
printf '["%s", "\377"]' "$B" > "$T/sanctioned_addresses_ETH.json"
expect_err 'sanctioned_addresses_ETH.json: byte [0-9]+: invalid UTF-8' \
    "$BIN" tags import "$T/sanctioned_addresses_ETH.json" --db "$DB"
# everything stored is valid UTF-8: strict decode of the raw bytes
"$BIN" tags list --db "$DB" --json > "$T/list.json" || fail "tags list"
/usr/bin/python3 -c "
import json,sys
j = json.loads(open(sys.argv[1], 'rb').read().decode('utf-8', 'strict'))
labels = sorted(t['label'] for t in j['tags'])
want = sorted(['Good', 'caf\u00e9', 'L', 'fine', 'OFAC SDN list', 'OFAC SDN list'])
assert labels == want, labels
" "$T/list.json" || fail "tags list --json: not the good rows as valid UTF-8"
echo ok
