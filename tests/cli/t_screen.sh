# t_screen.sh — `chainsleuth screen` on the Bybit-style heist of chainsleuth-gen:
#  - the investigator's tags: the drain's output addresses (the heist truth's
#    seed) as hacker_group, one mixer address as sanctioned (the whole mixer
#    cluster takes the heavier category);
#  - for ~900 addresses (every attacker address, the unspent frontier of the
#    truth, every tagged address, 400 random ones) the index screen and the
#    walk (--no-index) both equal an independent Python reference
#    (screen_ref.py: its own block parser and address encoders, the exposure
#    recursion by definition): every (direction, category) row, the min hops,
#    the score to 1e-6, the level exactly;
#  - from the heist truth, without the reference: the drain transaction's
#    outflows are 100 % direct hacker_group (SEVERE); every address holding the
#    attacker's unspent coins is SEVERE; every address that paid the sanctioned
#    mixer directly is SEVERE with direct sanctioned outflows;
#  - --explain paths end at the entity; --direction limits the rows;
#  - bad input: an unknown address, an unknown txid, a bad date, a config with
#    an unknown key or a bad value: one line on stderr, exit 1 (2 for usage).
. "$(dirname "$0")/lib.sh"
[ -x "${GENBIN:-}" ] || skip "skipped: no chainsleuth-gen at '${GENBIN:-}'"
HERE=$(cd "$(dirname "$0")" && pwd)

"$GENBIN" --out "$T/gen" --txs 30000 --seed 5 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" cluster --db "$T/db" --export "$T/clusters.csv" >/dev/null 2>&1 || fail "cluster"
"$BIN" tags import "$T/gen/truth/tags.csv" --db "$T/db" >/dev/null || fail "tags import"
DRAIN=$(jq_ "j['drain_txid']" <"$T/gen/truth/heist.json")
"$BIN" tx "$DRAIN" --db "$T/db" --json >"$T/drain.json" || fail "tx $DRAIN"

# the investigator's tags and the targets
/usr/bin/python3 - "$T" <<'PY' || exit 1
import csv, json, random, sys
T = sys.argv[1]
drain = json.load(open(T + '/drain.json'))
tags = list(csv.DictReader(open(T + '/gen/truth/tags.csv')))
mixer = sorted(r['address'] for r in tags if r['category'] == 'mixer')[0]
with open(T + '/extra.csv', 'w') as f:
    f.write('address,label,category,source\n')
    for a in sorted({o['address'] for o in drain['outputs']}):
        f.write('%s,Lazarus-like drain wallets,hacker_group,investigator\n' % a)
    f.write('%s,Sanctioned mixer (test),sanctioned,investigator\n' % mixer)
open(T + '/mixer.txt', 'w').write(mixer + '\n')
owners = list(csv.DictReader(open(T + '/gen/truth/owners.csv')))
truth = json.load(open(T + '/gen/truth/heist.json'))
t = [r['address'] for r in owners if r['entity'].startswith('attacker_')]
t += [u['address'] for u in truth['unspent']]
t += [r['address'] for r in tags]
rnd = random.Random(1)
t += rnd.sample([r['address'] for r in owners], 400)
seen, out = set(), []
for a in t:
    if a not in seen: seen.add(a); out.append(a)
open(T + '/targets.txt', 'w').write('\n'.join(out) + '\n')
print('targets: %d addresses' % len(out))
PY
"$BIN" tags import "$T/extra.csv" --db "$T/db" >/dev/null || fail "tags import extra"
"$BIN" screen --build-index --db "$T/db" >"$T/build.out" || fail "build-index"
cat "$T/build.out"

# truth addresses that never appear on chain (made but unused) are dropped: the
# clustering export lists every address of the store
/usr/bin/python3 - "$T" <<'PY' || exit 1
import csv, sys
T = sys.argv[1]
have = {r['address'] for r in csv.DictReader(open(T + '/clusters.csv'))}
t = [a.strip() for a in open(T + '/targets.txt') if a.strip() in have]
open(T + '/t2.txt', 'w').write('\n'.join(t) + '\n')
PY
"$BIN" screen --file "$T/t2.txt" --db "$T/db" --json >"$T/idx.json" 2>"$T/err" || fail "screen (index): $(cat "$T/err")"
[ -s "$T/err" ] && fail "screen (index) wrote to stderr: $(cat "$T/err")"
# the walk must not stop at its budget to be comparable: give it room (the
# default 1,000,000 store rows truncates a few walks from busy clusters, and
# says so; checked below)
printf 'walk_budget = 1000000000\n' >"$T/big.conf"
"$BIN" screen --file "$T/t2.txt" --db "$T/db" --json --no-index --config "$T/big.conf" >"$T/walk.json" 2>"$T/err" ||
    fail "screen (walk): $(cat "$T/err")"
"$BIN" screen --file "$T/t2.txt" --db "$T/db" --json --no-index >"$T/walk_default.json" 2>"$T/err" ||
    fail "screen (walk, default budget): $(cat "$T/err")"
TIP=$(jq_ "j['tip']" <"$T/gen/truth/chain.json")
/usr/bin/python3 "$HERE/screen_ref.py" "$T/gen/blocks" "$TIP" "$T/clusters.csv" "$T/t2.txt" "$T/ref.json" \
    "$T/gen/truth/tags.csv" "$T/extra.csv" || fail "screen_ref.py"

/usr/bin/python3 - "$T" <<'PY' || exit 1
import json, sys
T = sys.argv[1]
ref = json.load(open(T + '/ref.json'))
bad, levels = [], {}
for method in ('idx', 'walk'):
    got = [json.loads(l) for l in open('%s/%s.json' % (T, method))]
    if len(got) != len(ref):
        sys.exit('FAIL %s: %d answers for %d targets' % (method, len(got), len(ref)))
    for g in got:
        want = ref[g['target']]
        if g['method'] != ('index' if method == 'idx' else 'walk'):
            bad.append('%s %s: method %s' % (method, g['target'], g['method']))
        if method == 'walk' and any(g['truncated'].values()):
            bad.append('walk %s: truncated' % g['target'])
        if g['risk'] != want['risk'] or abs(g['score'] - want['score']) > 1e-6:
            bad.append('%s %s: %s %.9f, reference %s %.9f' % (method, g['target'], g['risk'], g['score'],
                                                              want['risk'], want['score']))
        if (g['owner'] or {}).get('category') != want['owner']:
            bad.append('%s %s: owner %s, reference %s' % (method, g['target'], g['owner'], want['owner']))
        gr = {(e['direction'], e['category']): e for e in g['exposure']}
        wr = {(e['direction'], e['category']): e for e in want['exposure']}
        if set(gr) != set(wr):
            bad.append('%s %s: rows %s, reference %s' % (method, g['target'], sorted(gr), sorted(wr)))
            continue
        for k in wr:
            for f in ('direct', 'indirect', 'decayed'):
                if abs(gr[k][f] - wr[k][f]) > 1e-6:
                    bad.append('%s %s %s %s: %.9f, reference %.9f' % (method, g['target'], k, f, gr[k][f], wr[k][f]))
            if gr[k]['min_hops'] != wr[k]['min_hops']:
                bad.append('%s %s %s: min hops %d, reference %d' % (method, g['target'], k, gr[k]['min_hops'], wr[k]['min_hops']))
        if method == 'idx': levels[g['risk']] = levels.get(g['risk'], 0) + 1
if bad:
    sys.exit('FAIL: %d differences from the reference:\n  ' % len(bad) + '\n  '.join(bad[:20]))
print('index and walk equal the reference on %d addresses; levels %s' % (len(ref), sorted(levels.items())))
# with the default budget a truncated walk says so, and an untruncated one is exact
nt = 0
for l in open(T + '/walk_default.json'):
    g = json.loads(l)
    if any(g['truncated'].values()):
        nt += 1
        if not any(g['unknown'][d] > 0 for d in g['truncated'] if g['truncated'][d]):
            sys.exit('FAIL: %s truncated without unknown mass' % g['target'])
    elif g['risk'] != ref[g['target']]['risk'] or abs(g['score'] - ref[g['target']]['score']) > 1e-6:
        sys.exit('FAIL: untruncated default walk of %s differs' % g['target'])
print('default walk budget: %d of %d walks truncated (said so, mass unknown), the others exact' % (nt, len(ref)))
if len(levels) < 3:
    sys.exit('FAIL: the targets cover only levels %s' % sorted(levels))
PY

# the heist truth, without the reference
"$BIN" screen "$DRAIN" --db "$T/db" --json >"$T/drain_screen.json" || fail "screen drain"
/usr/bin/python3 - "$T" <<'PY' || exit 1
import json, sys
T = sys.argv[1]
g = json.load(open(T + '/drain_screen.json'))
rows = {(e['direction'], e['category']): e for e in g['exposure']}
out = [k for k in rows if k[0] == 'out']
hg = rows.get(('out', 'hacker_group'))
if g['type'] != 'tx' or g['risk'] != 'SEVERE' or out != [('out', 'hacker_group')] or \
        abs(hg['direct'] - 1) > 1e-12 or hg['min_hops'] != 1 or abs(g['score'] - 0.9) > 1e-12:
    sys.exit('FAIL drain: want outflows 100%% direct hacker_group, SEVERE, score 0.9; got %s' % g)
print('drain tx: outflows 100% direct hacker_group, score 0.9, SEVERE')
PY
# the attacker never mixes in clean coins (heist truth), so an attacker address
# paid by a spender of the tagged drain outputs gets all its inflows straight
# from them: direct hacker_group 100 %, score 0.9, SEVERE (further down the
# peel chains the tag is more than max_hops away and the level falls: the
# model, not a defect)
/usr/bin/python3 - "$T" "$BIN" <<'PY' || exit 1
import csv, json, subprocess, sys
T, BIN = sys.argv[1:3]
drain = json.load(open(T + '/drain.json'))
attacker = {r['address'] for r in csv.DictReader(open(T + '/gen/truth/owners.csv')) if r['entity'].startswith('attacker_')}
seedaddr = {o['address'] for o in drain['outputs']}
cl = {r['address']: r['cluster'] for r in csv.DictReader(open(T + '/clusters.csv'))}
seedcl = {cl[a] for a in seedaddr}
hop1 = set()
for tx in sorted({o['spent_by'] for o in drain['outputs'] if o.get('spent_by')}):
    j = json.loads(subprocess.check_output([BIN, 'tx', tx, '--db', T + '/db', '--json']))
    hop1 |= {o['address'] for o in j['outputs'] if o['address'] in attacker and cl[o['address']] not in seedcl}
if not hop1: sys.exit('FAIL: no attacker address one hop from the drain wallets')
out = subprocess.check_output([BIN, 'screen', '--db', T + '/db', '--json', '--direction', 'in'] + sorted(hop1))
bad = []
for l in out.decode().splitlines():
    j = json.loads(l)
    hg = [e for e in j['exposure'] if e['category'] == 'hacker_group']
    if j['risk'] != 'SEVERE' or not hg or abs(hg[0]['direct'] - 1) > 1e-9:
        bad.append((j['target'], j['risk'], j['exposure']))
if bad: sys.exit('FAIL: attacker addresses one hop from the drain: %s' % bad[:3])
print('%d attacker addresses one hop from the drain wallets: 100%% direct hacker_group, SEVERE' % len(hop1))
PY

# users who paid the sanctioned mixer's cluster directly: SEVERE, through direct
# sanctioned outflows
MIXER=$(cat "$T/mixer.txt")
"$BIN" address "$MIXER" --db "$T/db" --json --txs --limit 50 >"$T/mixer_addr.json" || fail "address mixer"
/usr/bin/python3 - "$T" "$BIN" "$MIXER" <<'PY' || exit 1
import csv, json, subprocess, sys
T, BIN, MIXER = sys.argv[1:4]
cl = {r['address']: r['cluster'] for r in csv.DictReader(open(T + '/clusters.csv'))}
j = json.load(open(T + '/mixer_addr.json'))
payers = set()
for t in j['txs']:
    txid = t if isinstance(t, str) else t['txid']
    tx = json.loads(subprocess.check_output([BIN, 'tx', txid, '--db', T + '/db', '--json']))
    if not any(o['address'] == MIXER for o in tx['outputs']): continue
    payers |= {i['address'] for i in tx['inputs'] if i.get('address') and cl[i['address']] != cl[MIXER]}
if not payers: sys.exit('FAIL: nobody paid the mixer address')
out = subprocess.check_output([BIN, 'screen', '--db', T + '/db', '--json', '--direction', 'out'] + sorted(payers))
for l in out.decode().splitlines():
    g = json.loads(l)
    s = [e for e in g['exposure'] if e['category'] == 'sanctioned']
    if g['risk'] != 'SEVERE' or not s or not s[0]['direct'] > 0 or s[0]['min_hops'] != 1:
        sys.exit('FAIL: payer %s of the sanctioned mixer: %s' % (g['target'], l))
print('%d payers of the sanctioned mixer: SEVERE with direct sanctioned outflows' % len(payers))
PY

# --explain: every path ends in the entity's cluster, the hops match
A=$(sed -n 1p "$T/t2.txt")
"$BIN" screen "$A" --db "$T/db" --json --explain --limit 1000 >"$T/ex.json" || fail "explain"
/usr/bin/python3 - "$T" <<'PY' || exit 1
import csv, json, sys
T = sys.argv[1]
j = json.load(open(T + '/ex.json'))
cl = {r['address']: r['cluster'] for r in csv.DictReader(open(T + '/clusters.csv'))}
tagged = {}
for f in ('/gen/truth/tags.csv', '/extra.csv'):
    for r in csv.DictReader(open(T + f)): tagged.setdefault(cl[r['address']], set()).add(r['label'])
if j['method'] != 'walk' or not j['reasons']: sys.exit('FAIL explain: %s' % j)
for r in j['reasons']:
    p = r['path']
    if len(p) < r['hops'] or r['entity'] not in tagged.get(cl[p[-1]['address']], set()):
        sys.exit('FAIL explain: path %s does not end at %s' % (p, r['entity']))
    if any(cl[s['address']] in tagged for s in p[:-1]):
        sys.exit('FAIL explain: path %s passes a tagged cluster' % p)
print('explain: %d paths end at their entity through untagged clusters' % len(j['reasons']))
PY
"$BIN" screen "$A" --db "$T/db" --json --direction in >"$T/in.json" || fail "direction in"
eq "$(jq_ "sorted({e['direction'] for e in j['exposure']} | set(j['unknown']))" <"$T/in.json")" "['in']" "--direction in"

# bad input: one line, exit 1 (2 for usage)
one_line() { # EXPECTED_RC WHAT CMD...
    want=$1 what=$2; shift 2
    "$@" >"$T/o" 2>"$T/e"; got=$?
    [ "$got" = "$want" ] || fail "$what: exit $got, want $want ($(cat "$T/e"))"
    [ "$(wc -l <"$T/e")" = 1 ] || fail "$what: want one line on stderr, got: $(cat "$T/e")"
    [ -s "$T/o" ] && fail "$what: wrote to stdout: $(cat "$T/o")"
    cat "$T/e"
}
one_line 1 "unknown address" "$BIN" screen 1BoatSLRHtKNngkdXEeobR76b53LETtpyT --db "$T/db"
grep -q "never seen" "$T/e" || fail "unknown address message"
one_line 1 "unknown txid" "$BIN" screen 0000000000000000000000000000000000000000000000000000000000000001 --db "$T/db"
one_line 1 "not an address" "$BIN" screen hello --db "$T/db"
one_line 2 "bad date" "$BIN" screen "$A" --as-of 2023-02-29 --db "$T/db"
grep -q "bad date '2023-02-29'" "$T/e" || fail "bad date message"
printf 'max_hops = 4\nweight.mixr = 0.5\n' >"$T/bad.conf"
one_line 1 "unknown config key" "$BIN" screen "$A" --config "$T/bad.conf" --db "$T/db"
grep -q "bad.conf:2: unknown key 'weight.mixr'" "$T/e" || fail "config message"
printf 'decay = 2\n' >"$T/bad2.conf"
one_line 1 "bad config value" "$BIN" screen "$A" --config "$T/bad2.conf" --db "$T/db"
grep -q "bad2.conf:1: decay: bad value '2'" "$T/e" || fail "config value message"
one_line 2 "no target" "$BIN" screen --db "$T/db"

# a config that changes max_hops makes the index stale: screen says so and walks
printf 'max_hops = 2\n' >"$T/h2.conf"
"$BIN" screen "$A" --config "$T/h2.conf" --db "$T/db" --json >"$T/h2.json" 2>"$T/e" || fail "h2"
grep -q "stale" "$T/e" || fail "no stale-index note: $(cat "$T/e")"
eq "$(jq_ "(j['method'], max([e['min_hops'] for e in j['exposure']] or [0]) <= 2)" <"$T/h2.json")" "('walk', True)" "max_hops 2"
echo "ok"
