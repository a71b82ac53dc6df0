# t_report.sh — the HTML case report as an investigator receives it: printed
# to PDF by Debian's chromium headless (and a PNG screenshot written), then
# read back with pdftotext: the title page carries the case header, the
# exhibits are numbered, no txid runs into its neighbour, and the rerun
# command (with --db, as printed) reproduces the SHA-256 on the title page.
# Skips (77) when chromium or pdftotext is absent.
. "$(dirname "$0")/lib.sh"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || skip "skipped: chromium is not installed (apt-get install chromium)"
command -v pdftotext >/dev/null || skip "skipped: pdftotext is not installed (apt-get install poppler-utils)"
"$GENBIN" --out "$T/chain" --txs 30000 --seed 5 --scenario heist --quiet || fail "chainsleuth-gen"
"$BIN" ingest btc --blocks "$T/chain/blocks" --db "$T/db" >/dev/null 2>&1 || fail "ingest"
"$BIN" cluster --db "$T/db" >/dev/null 2>&1 || fail "cluster"
"$BIN" tags import "$T/chain/truth/tags.csv" --db "$T/db" >/dev/null 2>&1 || fail "tags import"
DRAIN=$(jq_ "j['drain_txid']" <"$T/chain/truth/heist.json")
"$BIN" trace --db "$T/db" --tx "$DRAIN" --policy haircut --html "$T/r.html" --case-id CS-2025-014 \
    --case-title "Bybit-like heist" --investigator "A. Analyst" >/dev/null 2>&1 || fail "trace --html"
(cd "$T" && timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --print-to-pdf="$T/r.pdf" \
    "file://$T/r.html" >/dev/null 2>&1)
(cd "$T" && timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --screenshot="$T/r.png" \
    --window-size=1200,2000 "file://$T/r.html" >/dev/null 2>&1)
[ -s "$T/r.pdf" ] || fail "chromium wrote no PDF"
[ -s "$T/r.png" ] || fail "chromium wrote no screenshot"
pdftotext -f 1 -l 1 "$T/r.pdf" "$T/p1.txt" || fail "pdftotext page 1"
pdftotext "$T/r.pdf" "$T/all.txt" || fail "pdftotext"
for want in "chainsleuth case report" "Bybit-like heist" "CS-2025-014" "A. Analyst" "Generated (UTC)" \
    "chainsleuth 0.1.0, git commit" "Result SHA-256"; do
    grep -qF "$want" "$T/p1.txt" || fail "title page lacks '$want'"
done
grep -q "^Summary" "$T/p1.txt" && fail "the title page is not a page of its own"
/usr/bin/python3 - "$T" <<'PY' || fail "exhibits"
import re, sys
T = sys.argv[1]
txt = open(T + '/all.txt').read()
html = open(T + '/r.html').read()
# the exhibit headings (the entities table's "Exhibit N: K transactions" cells excluded)
nums = [int(x) for x in re.findall(r'^Exhibit (\d+): .*transactions?\)$', txt, re.M)]
assert nums == list(range(1, len(nums) + 1)) and nums, 'exhibit numbers %s' % nums
# every txid of the report appears whole on a line of its own (no two glued)
ids = re.findall(r'<li>([0-9a-f]{64})<span', html)
assert ids, 'no exhibit txids'
glued = re.findall(r'[0-9a-f]{65,}', txt)
assert not glued, 'txids run together: %s' % glued[:2]
found = sum(1 for t in set(ids) if t in txt.replace('\n', '') )
assert found == len(set(ids)), 'txids in the PDF: %d of %d' % (found, len(set(ids)))
PY
CMD=$(/usr/bin/python3 -c 'import html,re,sys; print(html.unescape(re.search(r"<pre class=\"cmd\">([^<]*)", open(sys.argv[1]).read())[1]))' "$T/r.html")
case $CMD in "chainsleuth trace --db $T/db "*" --json") ;; *) fail "rerun command: $CMD" ;; esac
got=$(cd / && eval "\"$BIN\" ${CMD#chainsleuth }" | sha256sum | cut -c1-64)
grep -q "Result SHA-256</th><td><code>$got" "$T/r.html" || fail "the rerun command does not reproduce the SHA-256"
echo "t_report: PDF title page, numbered exhibits, rerun hash checked"
