# t_ux.sh — what an investigator reads, on the demo chain (scripts/demo's
# chain-gen --txs 30000 --seed 5 --scenario heist, clustered, its tags
# imported): golden text of `address`, `tx`, `block` and `trace`, byte for
# byte (tests/cli/golden/; UPDATE_GOLDEN=1 rewrites them), and independent
# checks of what the golden files claim:
#  - every ISO time printed beside a height is that block's header nTime, read
#    by Python straight from the blk file and converted with datetime;
#  - the tag label, category and source shown for an address are its row of
#    the generator's tags.csv; the cluster id is the one `entity` reports;
#  - amounts in the text are BTC and equal the --json integer satoshi;
#  - poison shares never exceed 100% and equal min(amount, seed) / seed.
. "$(dirname "$0")/lib.sh"
G=$(cd "$(dirname "$0")" && pwd)/golden
PY=/usr/bin/python3
"$GENBIN" --out "$T/chain" --txs 30000 --seed 5 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/chain/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" cluster --db "$T/db" >/dev/null 2>&1 || fail "cluster"
"$BIN" tags import "$T/chain/truth/tags.csv" --db "$T/db" >/dev/null 2>&1 || fail "tags import"
DRAIN=$(jq_ "j['drain_txid']" <"$T/chain/truth/heist.json")
# an exchange hot wallet from the generator's tags
HOT=$($PY -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["label"] == "exchange_binance-like_1": print(r["address"]); break' "$T/chain/truth/tags.csv")
[ -n "$HOT" ] || fail "no binance-like tag in tags.csv"

golden() { # golden NAME CMD...: stdout of CMD equals golden/NAME.txt
    name=$1; shift
    "$@" >"$T/$name.txt" 2>"$T/$name.err" || fail "$name: $* failed: $(cat "$T/$name.err")"
    if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$T/$name.txt" "$G/$name.txt"; return; fi
    cmp -s "$T/$name.txt" "$G/$name.txt" || {
        diff -u "$G/$name.txt" "$T/$name.txt" | head -40
        fail "$name: output differs from tests/cli/golden/$name.txt"
    }
}
golden address "$BIN" address "$HOT" --db "$T/db" --txs --limit 5
golden tx "$BIN" tx "$DRAIN" --db "$T/db"
golden block "$BIN" block 121 --db "$T/db"
golden trace "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut
golden poison "$BIN" trace --db "$T/db" --label mixer_cryptomixer-like_1 --policy poison \
    --backward --max-hops 2
"$BIN" address "$HOT" --db "$T/db" --txs --limit 5 --json >"$T/address.json" || fail "address --json"
"$BIN" tx "$DRAIN" --db "$T/db" --json >"$T/tx.json" || fail "tx --json"
"$BIN" trace --db "$T/db" --label mixer_cryptomixer-like_1 --policy poison --backward \
    --max-hops 2 --json >"$T/poison.json" || fail "poison --json"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --json >"$T/trace.json" || fail "trace --json"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --csv >"$T/trace.csv" || fail "trace --csv"
"$BIN" entity "$HOT" --db "$T/db" --json >"$T/entity.json" || fail "entity --json"

$PY - "$T" "$HOT" <<'PY' || fail "independent checks"
import csv, datetime, glob, hashlib, json, re, struct, sys
T, hot = sys.argv[1:3]
# block times straight from the blk files: every header by its hash, then the
# best chain walked back from the tip the store reports (the files also hold a
# stale block, so file order is not height order)
hdr = {}
for p in sorted(glob.glob(T + '/chain/blocks/blk*.dat')):
    d = open(p, 'rb').read(); off = 0
    while off + 8 <= len(d) and d[off:off + 4] != b'\0\0\0\0':
        n = struct.unpack_from('<I', d, off + 4)[0]; h = d[off + 8:off + 88]
        hdr[hashlib.sha256(hashlib.sha256(h).digest()).digest()[::-1].hex()] = (h[4:36][::-1].hex(), struct.unpack_from('<I', h, 68)[0])
        off += 8 + n
times, cur = [], json.load(open(T + '/trace.json'))['tip']['hash']
while cur in hdr:
    times.append(hdr[cur][1]); cur = hdr[cur][0]
times.reverse()
assert len(times) == json.load(open(T + '/trace.json'))['tip']['height'] + 1, 'best chain length'
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
bad = []
def check(c, msg):
    if not c: bad.append(msg)
def txt(n): return open('%s/%s.txt' % (T, n)).read()
# address: "seen height A (ISO) .. B (ISO)" and the rows "HEIGHT  ISO  TXID  +BTC"
a = txt('address')
m = re.search(r'seen       height (\d+) \((\S+)\) \.\. (\d+) \((\S+)\)', a)
check(m and iso(times[int(m[1])]) == m[2] and iso(times[int(m[3])]) == m[4], 'address seen times')
rows = re.findall(r'^ +(\d+)  (\S+Z)  ([0-9a-f]{64}) +([+-][0-9.]+)$', a, re.M)
check(len(rows) == 5, 'address: 5 tx rows, got %d' % len(rows))
aj = json.load(open(T + '/address.json'))
for (h, t, txid, btc), js in zip(rows, aj['txs']):
    check(iso(times[int(h)]) == t, 'address row time %s %s' % (h, t))
    check(js['txid'] == txid and js['time'] == t and js['timestamp'] == times[int(h)], 'address json row')
    whole, frac = btc[1:].split('.')
    sat = int(whole) * 10**8 + int(frac)
    check(len(frac) == 8 and (sat if btc[0] == '+' else -sat) == js['delta'], 'address BTC vs sat')
tag = next(r for r in csv.DictReader(open(T + '/chain/truth/tags.csv')) if r['address'] == hot)
check('entity     %s (%s; confidence 50; source %s)' % (tag['label'], tag['category'], tag['source']) in a,
      'address entity line')
ej = json.load(open(T + '/entity.json'))
cid = ej.get('cluster', ej.get('id'))
check(aj['cluster'] == cid and ('cluster    %d ' % cid) in a, 'address cluster id %s vs entity %s' % (aj['cluster'], cid))
check(aj['entity']['label'] == tag['label'] and aj['entity']['category'] == tag['category'], 'address json entity')
check(' sat' not in a, 'address text mixes sat into a BTC view')
# tx: the block time; totals equal the sum of the rows; every BTC amount equals the JSON value
x = txt('tx'); xj = json.load(open(T + '/tx.json'))
check(('time     %s\n' % iso(times[xj['height']])) in x and xj['time'] == iso(times[xj['height']]), 'tx time')
ins = re.search(r'inputs \((\d+)\)\n.*?\n((?:  +\d+  .*\n)+)\s+total\s+([0-9.]+)\n', x)
outs = re.search(r'outputs \((\d+)\)\n.*?\n((?:  +\d+  .*\n)+)\s+total\s+([0-9.]+)\n', x)
tosat = lambda b: int(b.replace('.', ''))
for sect, key in ((ins, 'inputs'), (outs, 'outputs')):
    check(sect is not None, 'tx %s table' % key)
    if not sect: continue
    vals = [tosat(re.split(r'\s{2,}', l.strip())[3]) for l in sect[2].splitlines()]
    check(vals == [i['value'] for i in xj[key]], 'tx %s amounts' % key)
    check(tosat(sect[3]) == sum(vals), 'tx %s total' % key)
check(xj['fee'] == sum(i['value'] for i in xj['inputs']) - sum(o['value'] for o in xj['outputs']), 'tx fee')
labelled = [i for i in xj['inputs'] if i['entity']]
check(labelled and all('[%s; %s;' % (i['entity']['label'], i['entity']['category']) in x for i in labelled),
      'tx: the drain spends the labelled victim wallet and shows its label')
# block 121
b = txt('block')
check(('time     %s (%d)\n' % (iso(times[121]), times[121])) in b, 'block time')
# trace: tip time; every frontier row's ISO time is its height's
tr = txt('trace')
check(('chain tip  %d ' % (len(times) - 1)) in tr and tr.split('\n')[1].endswith(iso(times[-1])), 'trace tip time')
fr = re.findall(r'^[0-9a-f]{64}:\d+ +\S+ +[0-9.]+ \S+ +\d+ +(\d+)  (\S+)$', tr, re.M)
check(len(fr) > 0 and all(iso(times[int(h)]) == t for h, t in fr), 'trace frontier times (%d rows)' % len(fr))
tj = json.load(open(T + '/trace.json'))
check(all(f['time'] == iso(times[f['height']]) and f['timestamp'] == times[f['height']] for f in tj['frontier']), 'trace json frontier times')
check(tj['tip']['time'] == iso(times[-1]), 'trace json tip time')
rows = list(csv.DictReader(open(T + '/trace.csv')))
check('amount_sat' in rows[0] and all(r['time'] == iso(int(r['timestamp'])) for r in rows if r['timestamp']), 'trace csv time and unit header')
# poison: max share = min(amount, seed) / seed, floored to 2 decimals, never above 100%
pj = json.load(open(T + '/poison.json')); p = txt('poison'); seed = pj['seed_amount']
check('max share' in p, 'poison column title')
for s in pj['sinks']:
    want = min(s['amount'], seed) * 10000 // seed
    m = re.search(r'^%s +\S+ +[0-9.]+ +(\d+)\.(\d\d)%%' % re.escape(s['entity'][:36]), p, re.M)
    check(m and int(m[1]) * 100 + int(m[2]) == want, 'poison share of %s' % s['entity'])
check(not re.search(r'\b(\d{4,}|[2-9]\d\d|1\d[1-9]|10[1-9])\.\d\d%', p), 'a poison share above 100%')
if bad:
    print('\n'.join(bad)); sys.exit(1)
PY
# entity golden, then names and notes: stored, shown by address, tx and entity,
# refused when malformed (one line, exit 2), a damaged file named with its line
golden entity "$BIN" entity "$HOT" --db "$T/db" --limit 3
CID=$(jq_ "j['cluster']" <"$T/address.json")
out=$("$BIN" cluster name "$CID" "Binance-like hot wallet (case 7)" --db "$T/db") || fail "cluster name"
eq "$out" "cluster $CID: name set" "cluster name output"
"$BIN" cluster note "$HOT" "$(printf 'seen in a subpoena reply\nsecond line')" --db "$T/db" >/dev/null ||
    fail "cluster note by address"
eq "$(jq_ "(j['cluster_name'], j['cluster_note'])" < <("$BIN" address "$HOT" --db "$T/db" --json))" \
    "('Binance-like hot wallet (case 7)', 'seen in a subpoena reply\\nsecond line')" "address --json name and note"
"$BIN" address "$HOT" --db "$T/db" | grep -qxF "cluster    $CID \"Binance-like hot wallet (case 7)\" (chainsleuth entity $CID)" ||
    fail "address text: cluster name"
"$BIN" address "$HOT" --db "$T/db" | grep -qxF "           second line" || fail "address text: note continuation"
"$BIN" entity "$CID" --db "$T/db" | grep -q "^cluster      $CID \"Binance-like hot wallet (case 7)\"" ||
    fail "entity text: name"
eq "$(jq_ "j['cluster_name']" < <("$BIN" entity "$CID" --db "$T/db" --json))" "Binance-like hot wallet (case 7)" \
    "entity --json name"
# a tx paying that cluster shows the name on its output
PAY=$(jq_ "j['txs'][0]['txid']" <"$T/address.json")
"$BIN" tx "$PAY" --db "$T/db" | grep -qF "cluster $CID \"Binance-like hot wallet (case 7)\"]" || fail "tx text: name"
eq "$(printf '%s\n' "$(sed -n 2p "$T/db/btc/names.tsv")")" \
    "$CID	Binance-like hot wallet (case 7)	seen in a subpoena reply\\nsecond line" "names.tsv record"
err=$("$BIN" cluster name "$CID" "$(printf 'a\tb')" --db "$T/db" 2>&1); r=$?
eq "$r" 2 "name with a tab: exit"
eq "$(echo "$err" | wc -l)" 1 "name with a tab: one line"
eq "$(rc "$BIN" cluster name "$CID" "$(head -c 201 /dev/zero | tr '\0' x)" --db "$T/db")" 2 "201-byte name"
eq "$(rc "$BIN" cluster name 999999999 x --db "$T/db")" 1 "unknown cluster id"
"$BIN" cluster name "$CID" "" --db "$T/db" >/dev/null || fail "remove name"
eq "$(jq_ "(j['cluster_name'], j['cluster_note'] is not None)" < <("$BIN" address "$HOT" --db "$T/db" --json))" \
    "(None, True)" "name removed, note kept"
printf '# chainsleuth entity names v1\n12x\tbad\t\n' >"$T/db/btc/names.tsv"
err=$("$BIN" address "$HOT" --db "$T/db" 2>&1); r=$?
eq "$r" 1 "damaged names.tsv: exit"
echo "$err" | grep -q "names.tsv:2: want CLUSTER_ID<TAB>NAME<TAB>NOTE" || fail "damaged names.tsv message: $err"
rm -f "$T/db/btc/names.tsv"

# one unit convention: amount options take BTC (bare or "BTC") or "sat"; --unit base
for a in 0.001 0.001BTC "0.001 btc" 100000sat 100000SAT; do
    eq "$(jq_ "j['parameters']['min_amount']" < <("$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut \
        --min-amount "$a" --json))" 100000 "--min-amount '$a'"
done
for a in 1e5 -1 0.000000001 1,000 0.5sat 10ETH ""; do
    err=$("$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --min-amount "$a" 2>&1); r=$?
    eq "$r" 2 "--min-amount '$a': exit"
    eq "$(printf '%s\n' "$err" | wc -l)" 1 "--min-amount '$a': one line"
    case $err in "chainsleuth trace: --min-amount: "*) ;; *) fail "--min-amount '$a' message: $err" ;; esac
done
"$BIN" trace --help | grep -q "0.001BTC, 100000sat, or a bare number in BTC" || fail "trace --help: amount forms"
# --unit base: the same numbers in satoshi, the header says so
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --unit base >"$T/trace-sat.txt" || fail "--unit base"
$PY - "$T" <<'PY' || fail "--unit base agrees with --json"
import json, re, sys
T = sys.argv[1]
j = json.load(open(T + '/trace.json')); t = open(T + '/trace-sat.txt').read()
assert 'amount (sat)' in t and 'BTC' not in t, 'unit header'
assert ('seed       %d outputs, %d sat\n' % (len(j['seeds']), j['seed_amount'])) in t, 'seed line'
for s in j['sinks']:
    assert re.search(r'^%s +\S+ +%d ' % (re.escape(s['entity'][:36]), s['amount']), t, re.M), s['entity']
PY
eq "$("$BIN" address "$HOT" --db "$T/db" --unit base | sed -n 's/^balance    //p')" \
    "$(jq_ "'%d sat' % j['balance']" <"$T/address.json")" "address --unit base balance"
eq "$(rc "$BIN" address "$HOT" --db "$T/db" --unit satoshi)" 2 "--unit satoshi refused"

# the small ones: "did you mean", verify --json, an EVM address on the btc
# store, one line per usage error, make demo's KEEP=1 documented
for typo in adress:address trcae:trace clustr:cluster entiy:entity; do
    err=$("$BIN" "${typo%%:*}" 2>&1); r=$?
    eq "$r" 2 "${typo%%:*}: exit"
    eq "$err" "chainsleuth: '${typo%%:*}' is not a command; did you mean '${typo#*:}'? (see chainsleuth --help)" "did you mean ${typo#*:}"
done
eq "$("$BIN" frobnicate 2>&1)" "chainsleuth: 'frobnicate' is not a command; see chainsleuth --help" "no suggestion"
"$BIN" verify --json --db "$T/db" >"$T/verify.json" || fail "verify --json"
"$BIN" verify --db "$T/db" >"$T/verify.txt" || fail "verify"
$PY - "$T" <<'PY' || fail "verify --json agrees with the text"
import json, sys
T = sys.argv[1]
j = json.load(open(T + '/verify.json'))
rows = [l.split() for l in open(T + '/verify.txt') if len(l.split()) == 3]
assert j['consistent'] is True and j['error'] is None and j['checks'] == 'full', j
assert [[c['name'], str(c['bytes']), c['sha256']] for c in j['columns']] == rows, 'columns'
PY
eq "$(jq_ "(j['checks'], j['consistent'])" < <("$BIN" verify --json --quick --db "$T/db"))" "('sampled', True)" "verify --json --quick"
err=$("$BIN" address 0xb9d7934878b5fb9610b3fe8a5e441e8fad7e293f --db "$T/db" 2>&1); r=$?
eq "$r" 1 "EVM address on btc: exit"
case $err in *"is an EVM address"*"EVM chains are read with --chain"*) ;; *) fail "EVM address message: $err" ;; esac
for cmd in "info --db" "address --limit" "trace --min-amount" "verify --bogus" "tx --unit"; do
    err=$("$BIN" $cmd 2>&1); r=$?
    eq "$r" 2 "'$cmd': exit"
    eq "$(printf '%s\n' "$err" | wc -l)" 1 "'$cmd': one line"
done
"$(dirname "$0")/../../scripts/demo" --help | grep -q "KEEP=1 keeps" || fail "scripts/demo --help: KEEP=1"
grep -q "make demo KEEP=1" "$(dirname "$0")/../../README.md" || fail "README: make demo KEEP=1"

# a named cluster shows beside its frontier addresses (text, HTML, JSON);
# without names the JSON keeps its bytes
F=$(jq_ "j['frontier'][0]['address']" <"$T/trace.json")
"$BIN" cluster name "$F" "Suspect wallet A" --db "$T/db" >/dev/null || fail "cluster name $F"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut >"$T/named.txt" || fail "trace after naming"
grep "$F" "$T/named.txt" | grep -q '\[cluster [0-9]* "Suspect wallet A"\]' || fail "frontier text lacks the cluster name"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --json >"$T/named.json" || fail "trace --json after naming"
eq "$(jq_ "(j['frontier'][0]['cluster_name'], [f.get('cluster_name') for f in j['frontier'][1:]].count(None) == len(j['frontier']) - 1)" <"$T/named.json")" \
    "('Suspect wallet A', True)" "JSON cluster_name on the named frontier row only"
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --html "$T/named.html" >/dev/null || fail "trace --html after naming"
grep -q 'cluster [0-9]* &ldquo;Suspect wallet A&rdquo;' "$T/named.html" || fail "HTML frontier lacks the cluster name"

echo "t_ux: golden address/tx/block/trace/poison; times, labels, units and shares checked; cluster names in trace output"
