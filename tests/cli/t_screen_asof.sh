# t_screen_asof.sh — sanctions in force on a date (`tags history`, `screen --as-of`):
#  - on a generated chain, dated lists written here put a mixer address on the
#    list on 2024-01-01, off on 2024-06-01 and on again on 2024-09-01; a payer
#    of that mixer is SEVERE (direct sanctioned outflows) --as-of 2024-03-01 and
#    2024-10-01 and without --as-of (the newest list has it), and has no
#    sanctioned exposure --as-of 2023-12-31 and 2024-07-01;
#  - on OFAC's real lists in ../shared (parsing level; EVM clustering does not
#    exist yet): Tornado Cash's contract is listed from 2022-08-08 and delisted
#    at 2025-06-20, the first later list without it (the 2025-03-09 list still
#    has it); every ETH and XBT interval equals an independent Python reading
#    of the same files.
. "$(dirname "$0")/lib.sh"
[ -x "${GENBIN:-}" ] || skip "skipped: no chainsleuth-gen at '${GENBIN:-}'"

"$GENBIN" --out "$T/gen" --txs 8000 --seed 7 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" cluster --db "$T/db" --export "$T/clusters.csv" >/dev/null 2>&1 || fail "cluster"
"$BIN" tags import "$T/gen/truth/tags.csv" --db "$T/db" >/dev/null || fail "tags import"

# the mixer address and one of its payers (outside the mixer's cluster)
/usr/bin/python3 - "$T" "$BIN" <<'PY' || exit 1
import csv, json, subprocess, sys
T, BIN = sys.argv[1:3]
cl = {r['address']: r['cluster'] for r in csv.DictReader(open(T + '/clusters.csv'))}
tags = [r for r in csv.DictReader(open(T + '/gen/truth/tags.csv')) if r['address'] in cl]
other = sorted(r['address'] for r in tags if r['category'] == 'exchange')[0]
for m in sorted(r['address'] for r in tags if r['category'] == 'mixer'):
    j = json.loads(subprocess.check_output([BIN, 'address', m, '--db', T + '/db', '--json', '--txs', '--limit', '20']))
    for t in j['txs']:
        txid = t if isinstance(t, str) else t['txid']
        tx = json.loads(subprocess.check_output([BIN, 'tx', txid, '--db', T + '/db', '--json']))
        if not any(o['address'] == m for o in tx['outputs']): continue
        p = [i['address'] for i in tx['inputs'] if i.get('address') and cl[i['address']] != cl[m]]
        if p:
            open(T + '/vars', 'w').write('MIXER=%s\nPAYER=%s\nOTHER=%s\n' % (m, p[0], other))
            sys.exit(0)
sys.exit('FAIL: no payer of a mixer address found')
PY
. "$T/vars"
mkdir -p "$T/lists"
printf '%s\n' "$MIXER" >"$T/lists/2024-01-01_sanctioned_addresses_XBT.txt"
printf '%s\n' "$OTHER" >"$T/lists/2024-06-01_sanctioned_addresses_XBT.txt"
printf '%s\n%s\n' "$OTHER" "$MIXER" >"$T/lists/2024-09-01_sanctioned_addresses_XBT.txt"
echo "not a list" >"$T/lists/README"
"$BIN" tags history "$T/lists" --db "$T/db" --json >"$T/hist.json" || fail "tags history"
eq "$(jq_ "(len(j['lists']), j['skipped_files'], j['addresses'], j['intervals'], j['listed_now'])" <"$T/hist.json")" \
    "(3, 1, 2, 3, 2)" "history summary"
eq "$(grep -c "^btc	$MIXER	" "$T/db/tags/validity.tsv")" 2 "mixer intervals"
grep -q "^btc	$MIXER	2024-01-01	2024-06-01$" "$T/db/tags/validity.tsv" || fail "first interval: $(cat "$T/db/tags/validity.tsv")"
grep -q "^btc	$MIXER	2024-09-01	-$" "$T/db/tags/validity.tsv" || fail "second interval"
"$BIN" screen --build-index --db "$T/db" >/dev/null || fail "build-index"

sanctioned() { # DATE-or-"" -> "RISK direct_sanctioned method"
    if [ -n "$1" ]; then set -- --as-of "$1"; else set --; fi
    "$BIN" screen "$PAYER" --db "$T/db" --direction out --json "$@" >"$T/s.json" 2>"$T/e" || fail "screen $*: $(cat "$T/e")"
    jq_ "(j['risk'] if any(e['category']=='sanctioned' for e in j['exposure']) else 'none') + ' ' + str(sum(e['direct'] for e in j['exposure'] if e['category']=='sanctioned') > 0) + ' ' + j['method']" <"$T/s.json"
}
eq "$(sanctioned 2023-12-31)" "none False walk" "before the first list"
eq "$(sanctioned 2024-01-01)" "SEVERE True walk" "on the day of the first list"
eq "$(sanctioned 2024-03-01)" "SEVERE True walk" "listed"
eq "$(sanctioned 2024-05-31)" "SEVERE True walk" "the day before the delisting"
eq "$(sanctioned 2024-06-01)" "none False walk" "on the delisting day"
eq "$(sanctioned 2024-07-01)" "none False walk" "delisted"
eq "$(sanctioned 2024-10-01)" "SEVERE True walk" "listed again"
eq "$(sanctioned "")" "SEVERE True index" "newest list, from the index"
echo "as-of on the generated chain: in force 2024-01-01..2024-05-31 and from 2024-09-01"

# the real OFAC lists: parsing level
H="$DATA/sanctions/ofac-history" L="$DATA/sanctions/ofac-latest-2025-06-20"
[ -d "$H" ] && [ -d "$L" ] || skip "skipped: $H or $L absent (shared data is not part of a clone)"
"$BIN" tags history "$H" "$L" --db "$T/ofac" >"$T/ofac.out" || fail "tags history (OFAC)"
tail -1 "$T/ofac.out"
TC=0x8589427373d6d84e98730d7795d8f6f8731fda16
eq "$(grep "^eth	$TC	" "$T/ofac/tags/validity.tsv")" "eth	$TC	2022-08-08	2025-06-20" "Tornado Cash"
/usr/bin/python3 - "$H" "$L" "$T/ofac/tags/validity.tsv" <<'PY' || exit 1
import os, re, sys
H, L, V = sys.argv[1:4]
lists = {}  # asset -> {date: set(addresses)}
for d in (H, L):
    dd = re.search(r'(\d{4}-\d{2}-\d{2})/?$', d)
    for n in os.listdir(d):
        # ETH and XBT lists, and the token lists whose 0x addresses are Ethereum's
        m = re.fullmatch(r'(?:(\d{4}-\d{2}-\d{2})_)?sanctioned_addresses_(XBT|ETH|USDT|USDC)\.(txt|json)', n)
        if not m or m.group(3) == 'json': continue
        date = m.group(1) or dd.group(1)
        addrs = {l.strip() for l in open(os.path.join(d, n)) if l.strip() and not l.startswith('#')}
        # a token list names no chain: 0x... is Ethereum, Bitcoin shapes are Omni on btc
        if m.group(2) == 'ETH': addrs = {a.lower() for a in addrs}
        elif m.group(2) != 'XBT':
            lists.setdefault(m.group(2) + '-btc', {}).setdefault(date, set()).update(
                a for a in addrs if a[0] in '13' or a.lower().startswith('bc1'))
            addrs = {a.lower() for a in addrs if a.startswith('0x')}
        lists.setdefault(m.group(2), {}).setdefault(date, set()).update(addrs)
per = {}
for asset, bydate in lists.items():
    chain = 'btc' if asset == 'XBT' or asset.endswith('-btc') else 'eth'
    listed = {}
    for date in sorted(bydate):
        for a in bydate[date]:
            if a not in listed: listed[a] = date
        for a in [a for a in listed if a not in bydate[date]]:
            per.setdefault((chain, a), []).append((listed.pop(a), date))
    for a, since in listed.items():
        per.setdefault((chain, a), []).append((since, '-'))
want = {}
for k, iv in per.items():  # union over the assets that list the address
    out = []
    for f, t in sorted(iv):
        if out and (out[-1][1] == '-' or f <= out[-1][1]):
            if out[-1][1] != '-' and (t == '-' or t > out[-1][1]): out[-1] = (out[-1][0], t)
        else:
            out.append((f, t))
    want[k] = out
got = {}
for l in open(V):
    if l.startswith('#'): continue
    c, a, f, t = l.rstrip('\n').split('\t')
    if c in ('eth', 'btc'): got.setdefault((c, a), []).append((f, t))
# canonical Bech32 is lower case; rows the importer rejected (bad checksums) are absent
norm = lambda k: (k[0], k[1].lower() if k[1][:3].lower() == 'bc1' else k[1])
want = {norm(k): sorted(v) for k, v in want.items()}
missing = [k for k in want if k not in got]
extra = [k for k in got if k not in want]
diff = [(k, want[k], sorted(got[k])) for k in want if k in got and want[k] != sorted(got[k])]
if extra or diff or len(missing) > 9:
    sys.exit('FAIL: validity differs: extra %s, differ %s, missing %d %s' % (extra[:3], diff[:3], len(missing), missing[:3]))
dl = sum(1 for v in want.values() if v[-1][1] != '-')
print('OFAC ETH+XBT: %d addresses, intervals equal the Python reading (%d delisted, %d rows rejected by the importer)' % (len(got), dl, len(missing)))
PY
echo ok
