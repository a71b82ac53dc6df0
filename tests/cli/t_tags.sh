# tags: import real OFAC and GraphSense files into a fresh database, check the
# counts through `tags list --json`, idempotence, rejected rows, exit codes,
# and that kill -9 during an import never leaves a damaged tag table.
# Expected counts were made independently (Python csv/PyYAML/hashlib); see
# tests/unit/test_tags.c.
. "$(dirname "$0")/lib.sh"
"$BIN" tags --help >/dev/null 2>&1 || skip "skipped: $BIN has no 'tags' command yet"
[ -d "$DATA/sanctions" ] && [ -d "$DATA/tags" ] || skip "skipped: $DATA/sanctions absent (shared data is not part of a clone)"
PACKS="$DATA/tags/graphsense-tagpacks/packs"
DB="$T/db"

count() { "$BIN" tags list --db "$DB" --json "$@" | jq_ "j['count']"; }
count_db() { "$BIN" tags list --db "$1" --json | jq_ "j['count']"; }

# one import per format, format guessed
out=$("$BIN" tags import "$PACKS/lazarus.yaml" --db "$DB" --json) || fail "import lazarus.yaml"
eq "$(echo "$out" | jq_ "j['files'][0]['format']")" tagpack "lazarus format"
eq "$(echo "$out" | jq_ "j['files'][0]['added']")" 21 "lazarus added"
out=$("$BIN" tags import "$DATA/sanctions/ofac-latest-2025-06-20/sanctioned_addresses_XBT.txt" --db "$DB" --json) ||
    fail "import XBT list"
eq "$(echo "$out" | jq_ "(j['files'][0]['format'], j['files'][0]['added'], j['files'][0]['rejected'])")" \
    "('ofac-list', 482, 1)" "XBT list"
eq "$(echo "$out" | jq_ "(j['files'][0]['rejects'][0]['line'], j['files'][0]['rejects'][0]['reason'])")" \
    "(362, 'bad address')" "XBT list rejected row"
out=$("$BIN" tags import "$DATA/sanctions/ofac-sdn-raw/sdn_2024-05-03.csv" --db "$DB" --json) || fail "import sdn.csv"
eq "$(echo "$out" | jq_ "[j['files'][0][k] for k in ('format','rows','added','unchanged','rejected')]")" \
    "['ofac-sdn-csv', 295, 282, 4, 9]" "sdn.csv"
"$BIN" tags import "$PACKS/hacks.yaml" --db "$DB" >"$T/out" 2>"$T/err" || fail "import hacks.yaml"
grep -q "hacks.yaml: tagpack: added 608, updated 0, unchanged 0, rejected 0" "$T/out" || fail "hacks summary: $(cat "$T/out")"

eq "$(count)" 1393 "all tags (21 + 482 + 282 + 608)"
eq "$(count --category hacker_group)" 21 "hacker_group tags"
eq "$(count --category sanctioned --source OFAC)" 764 "OFAC tags (482 + 282)"
eq "$(count --label 'yan, xiaobing')" 6 "tags of the SDN entry YAN, Xiaobing"
j=$("$BIN" tags list --db "$DB" --json --address 134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak)
eq "$(echo "$j" | jq_ "sorted((t['category'], t['label']) for t in j['tags'])")" \
    "[('hacker_group', 'Lazarus Group'), ('sanctioned', 'OFAC SDN list'), ('sanctioned', 'TIAN, Yinyin')]" \
    "tags of a Lazarus address"
eq "$(echo "$j" | jq_ "[t['context'] for t in j['tags'] if t['label'].startswith('TIAN')][0]")" \
    "program=DPRK3, CYBER2; sdn=28263; type=individual" "SDN program in the context"
# EVM addresses are found in any case
eq "$("$BIN" tags list --db "$DB" --json --address 0x098B716B8AAF21512996DC57EB0615E2383E2F96 |
    jq_ "sorted((t['chain'], t['category'], t['label']) for t in j['tags'])")" \
    "[('eth', 'hacker_group', 'Lazarus Group'), ('eth', 'sanctioned', 'LAZARUS GROUP')]" "eth address, upper-case query"

# idempotence: the second import adds nothing and does not rewrite the table
before=$(cksum <"$DB/tags/tags.tsv")
out=$("$BIN" tags import "$PACKS/lazarus.yaml" --db "$DB" --json) || fail "re-import"
eq "$(echo "$out" | jq_ "(j['files'][0]['added'], j['files'][0]['unchanged'])")" "(0, 21)" "re-import"
eq "$(cksum <"$DB/tags/tags.tsv")" "$before" "table after re-import"

# rejected rows: reported with line and reason, exit code still 0
printf 'address,label,category,source\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3,x,scam,t\nbc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5,y,scam,t\n0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,z,scam,t\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,ok,scam,t\n' >"$T/bad.csv"
"$BIN" tags import "$T/bad.csv" --db "$DB" >"$T/out" 2>"$T/err" || fail "import with rejected rows should exit 0"
grep -q "added 1, updated 0, unchanged 0, rejected 3" "$T/out" || fail "bad.csv summary: $(cat "$T/out")"
eq "$(grep -c 'bad checksum' "$T/err")" 3 "rejected rows on stderr"
grep -q "bad.csv:2: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3: bad checksum" "$T/err" || fail "reject line: $(cat "$T/err")"

# exit codes
eq "$(rc "$BIN" tags import --db "$DB")" 2 "import without FILE"
eq "$(rc "$BIN" tags list --db "$DB" --category nonsense)" 2 "unknown category"
eq "$(rc "$BIN" tags import "$T/bad.csv" --db "$DB" --format yaml)" 2 "unknown format"
eq "$(rc "$BIN" tags frobnicate)" 2 "unknown subcommand"
eq "$(rc "$BIN" tags import "$T/nonexistent.csv" --db "$DB")" 1 "missing file"
eq "$(rc "$BIN" tags list --db "$T/nodb")" 1 "list without a tag table"
printf 'title: x\ntags:\n- address: [\n' >"$T/broken.yaml"
eq "$(rc "$BIN" tags import "$T/broken.yaml" --db "$DB")" 1 "YAML syntax error"
eq "$(count)" 1394 "nothing added by failed imports"

# kill -9 during imports of a 50,000-tag pack: the table is always the old one
# (21 tags) or the new one (50,021), never damaged.  Half of the runs kill the
# moment tags.tsv.tmp appears, i.e. while the new table is being written and
# renamed; the others at random points of a timed uninterrupted run.
"$BIN" tags import "$PACKS/lazarus.yaml" --db "$T/base" >/dev/null || fail "base db"
cp -r "$T/base" "$T/full"
t0=$(date +%s%N)
"$BIN" tags import "$PACKS/exchange-wallets-bitmex_0.yaml" --db "$T/full" >/dev/null || fail "bitmex import"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq "$(count_db "$T/full")" 50021 "after the uninterrupted import"
seed=${KILL_SEED:-$$}
echo "seed $seed, uninterrupted import ${ms} ms"
kills=0 midwrite=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$T/k"
    cp -r "$T/base" "$T/k"
    "$BIN" tags import "$PACKS/exchange-wallets-bitmex_0.yaml" --db "$T/k" >/dev/null 2>&1 &
    pid=$!
    if [ $((i % 2)) = 1 ]; then
        how="when tags.tsv.tmp appeared"
        while [ ! -e "$T/k/tags/tags.tsv.tmp" ] && kill -0 $pid 2>/dev/null; do sleep 0.002; done
        [ -e "$T/k/tags/tags.tsv.tmp" ] && mid=1 || mid=0
    else
        pct=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s * 100 + i); print 20 + int(rand() * 101) }')
        d=$(( ms * pct / 100 ))
        how="after ${d} ms"
        sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
        mid=0
    fi
    if kill -9 $pid 2>/dev/null; then
        kills=$((kills + 1)); midwrite=$((midwrite + mid)); what=killed
    else
        what="finished before the kill"
    fi
    wait $pid 2>/dev/null
    n=$(count_db "$T/k") || fail "table unreadable after run $i"
    [ "$n" = 21 ] || [ "$n" = 50021 ] || fail "table after run $i has $n tags"
    echo "run $i: $what ($how): $n tags"
done
[ $kills -ge 3 ] || fail "only $kills kills landed during an import"
echo "ok: $kills kills ($midwrite while the new table was being written); the table was always whole"
