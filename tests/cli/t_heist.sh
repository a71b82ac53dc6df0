# t_heist.sh — the Bybit-style heist of chainsleuth-gen traced with every
# policy must reproduce the generator's ground truth exactly:
#  - the seed (the drain transaction's outputs) equals "stolen";
#  - the amount per destination entity (exchanges, the mixer, the bridge, the
#    CoinJoin) equals heist.json "destinations";
#  - the unspent frontier equals heist.json "unspent" (same outpoints, same
#    amounts), the fees equal "fees", nothing is dropped, and the walk visits
#    exactly the attacker's transactions ("attacker_txs");
#  - conservation: seed = sinks + frontier + fees + dropped, exactly.
# All policies agree because the attacker never mixes stolen and clean coins
# before a sink (the CoinJoin is a sink).  Truth names entities, the trace
# names tag labels: the mapping goes through owners.csv and tags.csv.
. "$(dirname "$0")/lib.sh"
[ -x "${GENBIN:-}" ] || skip "skipped: no chainsleuth-gen at '${GENBIN:-}'"
"$BIN" trace --help >/dev/null 2>&1 || skip "skipped: this chainsleuth has no trace command"
"$BIN" tags --help >/dev/null 2>&1 ||
    skip "skipped: no tags command: without the scenario's tags nothing can be attributed"

"$GENBIN" --out "$T/gen" --txs 30000 --seed 5 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
if "$BIN" cluster --help >/dev/null 2>&1; then
    "$BIN" cluster --db "$T/db" >/dev/null 2>&1 || fail "cluster"
    echo "attribution: cluster level (chainsleuth cluster ran)"
else
    echo "attribution: no cluster command, the trace falls back to address-level tags"
fi
"$BIN" tags import "$T/gen/truth/tags.csv" --db "$T/db" >/dev/null || fail "tags import"
DRAIN=$(jq_ "j['drain_txid']" <"$T/gen/truth/heist.json")

for p in haircut fifo lifo tiho poison; do
    for fc in fee-last fee-pro-rata; do
        [ "$fc" = fee-pro-rata ] && case $p in haircut | poison) continue ;; esac
        "$BIN" trace --db "$T/db" --tx "$DRAIN" --policy "$p" --fee-convention "$fc" --json \
            >"$T/$p-$fc.json" 2>"$T/err" || fail "$p $fc: $(cat "$T/err")"
        /usr/bin/python3 - "$T/gen/truth" "$T/$p-$fc.json" "$p $fc" <<'PY' || exit 1
import csv, json, sys
truth_dir, res_path, name = sys.argv[1:4]
truth = json.load(open(truth_dir + '/heist.json'))
res = json.load(open(res_path))
owner = {r[0]: r[1] for r in csv.reader(open(truth_dir + '/owners.csv'))}
labels = {}
for r in csv.DictReader(open(truth_dir + '/tags.csv')):
    if r['category'] in ('exchange', 'mixer', 'bridge', 'sanctioned') and r['address'] in owner:
        labels.setdefault(owner[r['address']], set()).add(r['label'])
want = {}
for d in truth['destinations']:
    if d['entity'] == 'coinjoin':
        key = ('coinjoin', 'mixer')
    else:
        ls = labels.get(d['entity'])
        if not ls or len(ls) != 1:
            sys.exit('FAIL %s: truth entity %s has tag labels %s' % (name, d['entity'], ls))
        key = (ls.pop(), d['category'])
    want[key] = want.get(key, 0) + d['amount']
got = {(s['entity'], s['category']): s['amount'] for s in res['sinks']}
bad = []
if res['seed_amount'] != truth['stolen']:
    bad.append('seed %d != stolen %d' % (res['seed_amount'], truth['stolen']))
for k in sorted(set(want) | set(got)):
    if want.get(k) != got.get(k):
        bad.append('%s/%s: truth %s, trace %s' % (k[0], k[1], want.get(k), got.get(k)))
tu = {u['outpoint']: (u['address'], u['amount']) for u in truth['unspent']}
gu = {f['outpoint']: (f['address'], f['amount']) for f in res['frontier']}
if tu != gu:
    bad.append('unspent differs: truth %d outputs %d sat, trace %d outputs %d sat' % (
        len(tu), sum(a for _, a in tu.values()), len(gu), sum(a for _, a in gu.values())))
if any(f['reason'] != 'unspent' for f in res['frontier']):
    bad.append('frontier has non-unspent reasons')
if res['fees'] != truth['fees']:
    bad.append('fees %d != truth %d' % (res['fees'], truth['fees']))
if 'attacker_txs' in truth and res['txs_visited'] != truth['attacker_txs']:
    bad.append('visited %d txs, the attacker made %d' % (res['txs_visited'], truth['attacker_txs']))
if res['dropped'] != 0:
    bad.append('dropped %d' % res['dropped'])
total = sum(got.values()) + sum(a for _, a in gu.values()) + res['fees'] + res['dropped']
if total != res['seed_amount']:
    bad.append('not conserved: %d != %d' % (total, res['seed_amount']))
if bad:
    sys.exit('FAIL %s:\n  ' % name + '\n  '.join(bad))
print('%-22s ok: %d destinations, %d unspent outputs, fees %d, %d txs visited' % (
    name, len(got), len(gu), res['fees'], res['txs_visited']))
PY
    done
done
