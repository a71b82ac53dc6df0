# t_serve.sh — `chainsleuth serve`, the screening HTTP API, end to end
# (tests/cli/serve_check.py does the HTTP side; see its header):
#  - a Bybit-style heist from chainsleuth-gen, ingested up to 40 blocks below
#    its tip, clustered, tagged (the scenario's tags) and indexed;
#  - every endpoint against the CLI on the same store: address and tx equal
#    `address --json` / `tx --json`, POST /v1/screen item by item equal to
#    `screen --json`; every answer against docs/openapi.json;
#  - hostile requests, ingest of the last 40 blocks while serving (the tip in
#    /v1/info moves), SIGTERM with a request in flight -> exit 0.
. "$(dirname "$0")/lib.sh"
[ -x "${GENBIN:-}" ] || skip "skipped: no chainsleuth-gen at '${GENBIN:-}'"
HERE=$(cd "$(dirname "$0")" && pwd)
"$BIN" serve --help >/dev/null 2>&1 || fail "serve --help"
"$GENBIN" --out "$T/gen" --txs 4000 --seed 11 --scenario heist --quiet || fail "chainsleuth-gen"
TIP=$(jq_ "j['height']" <"$T/gen/truth/chain.json")
H=$((TIP - 40))
"$BIN" ingest btc --blocks "$T/gen/blocks" --db "$T/db" --stop-height "$H" --quiet || fail "ingest to $H"
"$BIN" cluster --db "$T/db" >/dev/null 2>&1 || fail "cluster"
"$BIN" tags import "$T/gen/truth/tags.csv" --db "$T/db" >/dev/null || fail "tags import"
"$BIN" screen --build-index --db "$T/db" >/dev/null || fail "build-index"
# usage errors
eq "$(rc "$BIN" serve --db "$T/db" --listen nonsense)" 2 "--listen without a port"
eq "$(rc "$BIN" serve --db "$T/db" --listen 127.0.0.1:70000)" 2 "--listen port above 65535"
eq "$(rc "$BIN" serve --db "$T/db" --threads 0)" 2 "--threads 0"
eq "$(rc "$BIN" serve --db "$T/nostore" --listen 127.0.0.1:0)" 1 "serve without a store"
/usr/bin/python3 "$HERE/serve_check.py" "$BIN" "$T/db" "$T/gen" "$HERE/../../docs/openapi.json" "$TIP" || exit 1
echo "t_serve: ok"
