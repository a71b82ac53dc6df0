# t_serve_reorg.sh — the server's watcher through a real reorg (btcd's test
# chain on the real genesis: blocks 0-4, and a competing branch 3A-4A-5A
# forking after block 2, as in t_reorg.sh):
#  - the store holds blocks 0-2 when `serve` starts; three addresses of the
#    test chain are watched; ingest of blocks 3-4 must give exactly the alerts
#    the CLI's `tx --json` of their transactions implies (received and sent,
#    exact amounts);
#  - ingest of the branch rolls the store back to 2 and applies 3A-5A while
#    the server runs: every alert of blocks 3-4 is then marked orphaned, and
#    the branch's alerts are exactly what `tx --json` of its transactions
#    implies; /v1/info's tip is 5A's hash.
. "$(dirname "$0")/lib.sh"
need_data
B=$DATA/btc-blocks
mkdir -p "$T/a"
bzcat "$B/blk_0_to_4.dat.bz2" >"$T/a/blk00000.dat"
for f in blk_3A blk_4A blk_5A; do bzcat "$B/$f.dat.bz2" >>"$T/branch.dat"; done
"$BIN" ingest btc --blocks "$T/a" --db "$T/db" --stop-height 2 --quiet || fail "ingest 0-2"
/usr/bin/python3 - "$BIN" "$T" <<'PY' || exit 1
import http.client, json, re, shutil, signal, subprocess, sys, time
BIN, T = sys.argv[1], sys.argv[2]
DB = T + "/db"
W = ["1JyMKvPHkrCQd8jQrqTR1rBsAd1VpRhTiE", "1KXFNhNtrRMfgbdiQeuJqnfD7dR4PhniyJ", "1NiEGXeURREqqMjCvjCeZn6SwEBZ9AdVet"]
def fail(m):
    print("FAIL: " + m); srv.kill(); sys.exit(1)
def cli(*a):
    p = subprocess.run([BIN] + list(a), capture_output=True, text=True)
    if p.returncode: fail("%s: %s" % (a, p.stderr))
    return p.stdout
srv = subprocess.Popen([BIN, "serve", "--db", DB, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(re.search(r":(\d+)$", srv.stdout.readline().strip()).group(1))
def req(m, p, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(m, p, body=body)
    r = c.getresponse(); j = json.loads(r.read()); c.close()
    return r.status, j
st, j = req("POST", "/v1/watchlists", json.dumps({"name": "btcd", "items": W}).encode())
if st != 201: fail("create: %d %r" % (st, j))
wl = j["id"]
def wait_height(h):
    t0 = time.time()
    while time.time() - t0 < 20:
        st, j = req("GET", "/v1/alerts?limit=1000")
        if j["watched_height"] == h: return j["alerts"]
        time.sleep(0.05)
    fail("watcher did not reach height %d (at %r)" % (h, j["watched_height"]))
def expected(heights):
    """(address, txid, direction, block) -> amount, from the CLI's tx --json"""
    want = {}
    for h in heights:
        b = json.loads(cli("block", str(h), "--db", DB, "--json", "--txs"))
        for t in b["txs"]:
            txid = t if isinstance(t, str) else t["txid"]
            tx = json.loads(cli("tx", txid, "--db", DB, "--json"))
            for a in W:
                for d, rows in (("sent", [i for i in tx["inputs"] if i.get("address") == a]),
                                ("received", [o for o in tx["outputs"] if o["address"] == a])):
                    if rows:
                        want[(a, txid, d, tx["block"])] = sum(r["value"] for r in rows)
    return want
def keyed(alerts):
    return {(x["address"], x["txid"], x["direction"], x["block"]): x for x in alerts}
time.sleep(0.3)  # the watcher takes the store's tip (2) as its start
cli("ingest", "btc", "--blocks", T + "/a", "--db", DB, "--quiet")
main = keyed(wait_height(4))
want_main = expected([3, 4])
if not want_main: fail("no watched address moves in blocks 3-4")
if {k: v["amount"] for k, v in main.items()} != want_main:
    fail("alerts of blocks 3-4: %r, want %r" % ({k: v["amount"] for k, v in main.items()}, want_main))
if any(v["orphaned"] for v in main.values()): fail("alerts orphaned before any reorg")
shutil.copy(T + "/branch.dat", T + "/a/blk00001.dat")
out = json.loads(cli("ingest", "btc", "--blocks", T + "/a", "--db", DB, "--quiet", "--json"))
if out["rolled_back"] != 2 or out["height"] != 5: fail("reorg ingest: %r" % out)
alerts = keyed(wait_height(5))
want_branch = expected([3, 4, 5])
orph = {k for k, v in alerts.items() if v["orphaned"]}
live = {k: v["amount"] for k, v in alerts.items() if not v["orphaned"]}
if orph != set(want_main): fail("orphaned alerts %r, want those of blocks 3-4 %r" % (sorted(orph), sorted(want_main)))
if live != want_branch: fail("branch alerts %r, want %r" % (live, want_branch))
st, j = req("GET", "/v1/info")
tip = j["chains"][0]["tip"]
if tip != "00000000195f85184e77c18914bd0febd11278d950f5e4731a38f71ed79f044e": fail("info tip after reorg: %s" % tip)
srv.send_signal(signal.SIGTERM)
if srv.wait(timeout=15) != 0: fail("exit status after SIGTERM")
print("reorg: %d alerts of blocks 3-4 orphaned, %d alerts of 3A-5A equal the CLI; tip %s..." % (len(orph), len(live), tip[:16]))
PY
echo "t_serve_reorg: ok"
