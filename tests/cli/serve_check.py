#!/usr/bin/python3
"""serve_check.py — drives a running `chainsleuth serve` for t_serve.sh.

Usage: serve_check.py BIN DB GENDIR OPENAPI FULL_HEIGHT

The store DB holds a prefix of GENDIR/blocks (clustered, tagged, indexed);
this script starts the server on an ephemeral port and checks, against the
CLI on the same store (an independent path: separate processes, the CLI's
own code for address and tx):
  - every endpoint and its answer; POST /v1/screen item by item equal (as
    parsed JSON) to `chainsleuth screen --json`, and bad items' messages equal
    the CLI's;
  - every answer (route, method, status, required fields) against the
    OpenAPI document; /v1/openapi.json is that document;
  - hostile requests (oversized, chunked, truncated, deep, duplicate keys,
    invalid UTF-8, path traversal, long URL, header flood, slowloris) each get
    their own JSON error, and the server still serves;
  - ingest of the rest of the blocks while requests run: /v1/info's tip moves
    to FULL_HEIGHT, answers stay 200, heights never go back, and screens after
    it equal the CLI on the grown store;
  - SIGTERM with a request in flight: that request is answered, new
    connections are refused, exit status 0.
Standard library only.  Exit 1 with "FAIL: ..." on the first failure."""
import csv
import http.client
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BIN, DB, GEN, OPENAPI, FULL = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
SPEC = json.load(open(OPENAPI))
seen = []  # (path template, method, status, parsed body) of every answer


def fail(msg):
    print("FAIL: " + msg)
    try:  # what the server said, for the reader of the log
        err = open(DB + ".serve.err", errors="replace").read().strip().splitlines()
        if err:
            print("serve's stderr (last 40 lines):\n  " + "\n  ".join(err[-40:]))
    except OSError:
        pass
    try:
        srv.kill()
    except Exception:
        pass
    sys.exit(1)


def cli(*args, ok=True):
    p = subprocess.run([BIN] + list(args) + ["--db", DB], capture_output=True, text=True)
    if ok and p.returncode != 0:
        fail("chainsleuth %s: rc %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p


# ---- start
srv = subprocess.Popen([BIN, "serve", "--db", DB, "--listen", "127.0.0.1:0", "--threads", "2",
                        "--timeout", "2"], stdout=subprocess.PIPE, stderr=open(DB + ".serve.err", "w"),
                       text=True)
line = srv.stdout.readline()
m = re.match(r"listening on http://127\.0\.0\.1:(\d+)$", line.strip())
if not m:
    fail("serve did not say where it listens: %r" % line)
PORT = int(m.group(1))


def template(path):
    """the OpenAPI path an answered path belongs to (None: none)"""
    p = path.split("?")[0]
    for t in SPEC["paths"]:
        rx = "^" + re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(t)) + "$"
        if re.match(rx, p):
            return t
    return None


def request(method, path, body=None, headers=None, chunked=False, raw_path=False):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    h = dict(headers or {})
    if body is not None and not chunked:
        h.setdefault("Content-Type", "application/json")
    if chunked:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        for i in range(0, len(body), 65536):
            part = body[i:i + 65536]
            c.send(b"%x\r\n" % len(part) + part + b"\r\n")
        c.send(b"0\r\n\r\n")
    else:
        c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    ctype = r.getheader("Content-Type") or ""
    if "application/json" not in ctype:
        fail("%s %s: Content-Type %r, not JSON" % (method, path[:80], ctype))
    try:
        j = json.loads(data.decode("utf-8"))
    except Exception as e:
        fail("%s %s: answer is not JSON (%s): %r" % (method, path[:80], e, data[:200]))
    if r.status >= 400:
        e = j.get("error") if isinstance(j, dict) else None
        if not isinstance(e, dict) or not isinstance(e.get("code"), str) or not isinstance(e.get("message"), str):
            fail("%s %s: error %d without {error:{code,message}}: %r" % (method, path[:80], r.status, j))
    seen.append((template(path), method, r.status, j))
    return r.status, r, j


def get(path, **kw):
    return request("GET", path, **kw)


def post_screen(items, chain="btc", **extra):
    body = dict(chain=chain, items=items, **extra)
    return request("POST", "/v1/screen", json.dumps(body).encode())


def expect(st, j, status, code=None, what=""):
    if st != status:
        fail("%s: status %d, want %d: %r" % (what, st, status, j))
    if code and j["error"]["code"] != code:
        fail("%s: error code %r, want %r (%s)" % (what, j["error"]["code"], code, j["error"]["message"]))


# ---- health, info
st, _, j = get("/v1/health")
expect(st, j, 200, what="health")
if j != {"status": "ok"}:
    fail("health: %r" % j)
info_cli = json.loads(cli("info", "--json").stdout)["chains"]["btc"]
st, _, j = get("/v1/info")
expect(st, j, 200, what="info")
ch = j["chains"][0]
H0 = info_cli["height"]
for k in ("height", "tip", "network"):
    if ch[k] != info_cli[k]:
        fail("info %s: server %r, CLI %r" % (k, ch[k], info_cli[k]))
if ch["counts"]["txs"] != info_cli["txs"] or ch["counts"]["blocks"] != info_cli["blocks"]:
    fail("info counts differ: %r vs %r" % (ch["counts"], info_cli))
if ch["index"]["state"] != "used" or not ch["clustering"]:
    fail("info: index %r, clustering %r (the test built both)" % (ch["index"], ch["clustering"]))
if j["store"] != DB:
    fail("info store %r, want %r" % (j["store"], DB))
print("info: height %d, tip %s, index %s (%d nodes)" % (ch["height"], ch["tip"][:16], ch["index"]["state"], ch["index"]["nodes"]))

# ---- the targets: addresses the store has, txids they touched
owners = [r["address"] for r in csv.DictReader(open(GEN + "/truth/owners.csv"))]
rnd = random.Random(7)
rnd.shuffle(owners)
addrs, txids = [], []
for a in owners:
    if len(addrs) >= 60:
        break
    p = cli("address", a, "--json", "--txs", "--limit", "3")
    d = json.loads(p.stdout)
    if d["tx_count"] == 0:
        continue
    addrs.append((a, d))
    for t in d["txs"]:
        if t["txid"] not in txids and len(txids) < 25:
            txids.append(t["txid"])
heist = json.load(open(GEN + "/truth/heist.json"))
if heist["drain_txid"] not in txids and cli("tx", heist["drain_txid"], "--json", ok=False).returncode == 0:
    txids.append(heist["drain_txid"])
print("targets: %d addresses, %d transactions" % (len(addrs), len(txids)))


def cli_screen(items):
    f = DB + ".items"
    open(f, "w").write("\n".join(items) + "\n")
    p = cli("screen", "--file", f, "--json")
    return [json.loads(x) for x in p.stdout.splitlines()]


# ---- address and tx against the CLI
want_risk = dict(zip([a for a, _ in addrs], cli_screen([a for a, _ in addrs])))
for a, d in addrs:
    st, _, j = get("/v1/address/btc/" + a)
    expect(st, j, 200, what="address " + a)
    got = {k: v for k, v in j.items() if k not in ("chain", "tags", "risk")}
    ref = {k: v for k, v in d.items() if k not in ("cluster_name", "cluster_note", "txs")}
    if got != ref:
        fail("address %s: server %r\n  CLI %r" % (a, got, ref))
    if j["risk"] != want_risk[a]:
        fail("address %s: risk differs from screen --json:\n %r\n %r" % (a, j["risk"], want_risk[a]))
    st, _, r = get("/v1/address/btc/%s/risk" % a)
    expect(st, r, 200, what="address risk " + a)
    if r != want_risk[a]:
        fail("address %s/risk differs from screen --json" % a)
tagged = [r for r in csv.DictReader(open(GEN + "/truth/tags.csv"))]
for t in tagged[:5]:
    st, _, j = get("/v1/address/btc/" + t["address"])
    if st == 200 and j["tx_count"] and not any(x["label"] == t["label"] for x in j["tags"]):
        fail("address %s: tag %r missing from %r" % (t["address"], t["label"], j["tags"]))
for t in txids:
    st, _, j = get("/v1/tx/btc/" + t)
    expect(st, j, 200, what="tx " + t)
    ref = json.loads(cli("tx", t, "--json").stdout)
    for side in ("inputs", "outputs"):
        for io in ref[side]:
            io.pop("cluster_name", None)
            io.pop("cluster_note", None)
    got = {k: v for k, v in j.items() if k != "chain"}
    if got != ref:
        fail("tx %s: server %r\n  CLI %r" % (t, got, ref))
# an address never seen: zeros, risk null; its /risk is 404
st, _, j = get("/v1/address/btc/1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
expect(st, j, 200, what="unseen address")
if j["tx_count"] != 0 or j["balance"] != 0 or j["risk"] is not None:
    fail("unseen address: %r" % j)
expect(*get("/v1/address/btc/1BoatSLRHtKNngkdXEeobR76b53LETtpyT/risk")[::2], 404, "not_found", "unseen /risk")
expect(*get("/v1/tx/btc/" + "ab" * 32)[::2], 404, "not_found", "unknown tx")
expect(*get("/v1/tx/btc/xyz")[::2], 400, "bad_txid", "bad txid")
print("address and tx: %d addresses and %d transactions equal the CLI" % (len(addrs), len(txids)))

# ---- POST /v1/screen item by item against screen --json
items = [a for a, _ in addrs] + txids
bad = ["zzz", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"]
mixed = items[:10] + [bad[0]] + items[10:] + [bad[1]]
st, _, j = post_screen(mixed)
expect(st, j, 200, what="screen")
want = cli_screen(items)
res = j["results"]
if len(res) != len(mixed):
    fail("screen: %d results for %d items" % (len(res), len(mixed)))
wi = iter(want)
for it, r in zip(mixed, res):
    if it in bad:
        p = cli("screen", it, "--json", ok=False)
        msg = p.stderr.strip()
        pre = "chainsleuth screen: "
        if p.returncode != 1 or not msg.startswith(pre):
            fail("CLI screen %s: rc %d %r" % (it, p.returncode, msg))
        if r.get("target") != it or r.get("error", {}).get("message") != msg[len(pre):]:
            fail("screen bad item %s: %r, CLI says %r" % (it, r, msg))
        continue
    w = next(wi)
    if r != w:
        fail("screen %s: server %r\n  CLI %r" % (it, r, w))
if j["height"] != H0:
    fail("screen height %r, want %d" % (j["height"], H0))
# direction
st, _, j = post_screen(items[:5], direction="in")
expect(st, j, 200, what="screen in")
f = DB + ".items"
open(f, "w").write("\n".join(items[:5]) + "\n")
w5 = [json.loads(x) for x in cli("screen", "--file", f, "--json", "--direction", "in").stdout.splitlines()]
if j["results"] != w5:
    fail("screen direction=in differs from screen --direction in")
levels = {}
for r in want:
    levels[r["risk"]] = levels.get(r["risk"], 0) + 1
print("screen: %d items equal screen --json (levels %s), 2 bad items carry the CLI's messages" % (len(items), levels))

# 1,000 items answered in order; 1,001 refused
big = [items[i % len(items)] for i in range(1000)]
t0 = time.time()
st, _, j = post_screen(big)
expect(st, j, 200, what="screen 1000")
if [r["target"] for r in j["results"]] != big:
    fail("screen 1000: results out of order")
print("screen: 1,000 items in %.0f ms" % (1000 * (time.time() - t0)))
st, _, j = post_screen(big + [items[0]])
expect(st, j, 413, "too_many_items", "1,001 items")
if "1001" not in j["error"]["message"] or "1000" not in j["error"]["message"]:
    fail("1,001 items: message %r does not say how many" % j["error"]["message"])

# ---- hostile requests
hostile = 0


def h(st_j, status, code, what):
    global hostile
    expect(st_j[0], st_j[2], status, code, what)
    hostile += 1


pad = json.dumps({"chain": "btc", "items": ["x" * 100] * 21000}).encode()  # ~2.2 MB
h(request("POST", "/v1/screen", pad), 413, "payload_too_large", "2 MiB body")
h(request("POST", "/v1/screen", pad, chunked=True), 413, "payload_too_large", "2 MiB chunked body")
st, _, j = request("POST", "/v1/screen", b'{"chain":"btc","items":["' + items[0].encode())
h((st, _, j), 400, "bad_request", "truncated JSON")
if not re.search(r"byte \d+", j["error"]["message"]):
    fail("truncated JSON: message %r names no byte" % j["error"]["message"])
h(request("POST", "/v1/screen", b"[" * 100000 + b"]" * 100000), 400, "bad_request", "nested 100,000 deep")
st, _, j = request("POST", "/v1/screen", b'{"chain":"btc","items":[],"chain":"btc"}')
h((st, _, j), 400, "bad_request", "duplicate keys")
if "duplicate" not in j["error"]["message"]:
    fail("duplicate keys: %r" % j["error"]["message"])
h(request("POST", "/v1/screen", b'{"chain":"btc","items":["\xff\xfe"]}'), 400, "bad_request", "invalid UTF-8")
h(request("POST", "/v1/screen", b'{"chain":"btc","items":["a\\u0000b"]}'), 400, "bad_request", "NUL in an item")
h(request("POST", "/v1/screen", b'["btc"]'), 400, "bad_request", "array body")
h(request("POST", "/v1/screen", b''), 400, "bad_request", "empty body")
h(request("POST", "/v1/screen", b'{"chain":"btc","items":[1]}'), 400, "bad_request", "number item")
h(request("POST", "/v1/screen", b'{"chain":"btc","items":[],"x":1}'), 400, "bad_request", "unknown field")
h(request("POST", "/v1/screen", b'{"items":[]}'), 400, "bad_request", "no chain")
h(request("POST", "/v1/screen", b'{"chain":"btc","items":[],"direction":"up"}'), 400, "bad_request", "bad direction")
h(post_screen(items[:1], chain="eth"), 404, "chain_not_served", "eth")
h(post_screen(items[:1], chain="doge"), 404, "unknown_chain", "doge")
h(get("/v1/address/btc/notanaddress"), 400, "bad_address", "bad address")
h(get("/v1/address/eth/0x0000000000000000000000000000000000000000"), 404, "chain_not_served", "eth address")
for p in ("/v1/address/btc/..%2F..", "/v1/address/btc/..%2F..%2F..%2Fetc%2Fpasswd", "/v1/../../etc/passwd",
          "/v1/openapi.json/../../../etc/passwd", "/v1/%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "/v1/", "/v1//health",
          "/v1/health/", "/", "/v2/health", "/v1/address/btc", "/v1/address/btc/a/b/c",
          "/v1/address/btc/%FF%FE", "/v1/address/btc/%00abc", "/v1/tx/btc/%C0%AF"):
    st, r, j = get(p)
    if st not in (400, 404) or "root:" in json.dumps(j):
        fail("path %s: %d %r" % (p, st, j))
    hostile += 1
st, r, j = request("DELETE", "/v1/screen")
h((st, r, j), 405, "method_not_allowed", "DELETE /v1/screen")
if r.getheader("Allow") != "POST":
    fail("405 without Allow: POST")
h(request("GET", "/v1/screen"), 405, "method_not_allowed", "GET /v1/screen")
h(request("POST", "/v1/info", b"{}"), 405, "method_not_allowed", "POST /v1/info")
h(request("GET", "/v1/health", b"{}"), 400, "bad_request", "GET with a body")
h(get("/v1/address/btc/" + "1" * 3000), 414, "uri_too_long", "3,000-byte path")


def raw(data, wait=5.0):
    """sends bytes on a fresh connection, returns what came back"""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    return out


# header flood: 200 headers of 1 KB each, past the 64 KiB connection memory limit
flood = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: %s\r\n" % (i, b"a" * 1000) for i in range(200)) + b"\r\n"
out = raw(flood)
if not re.match(rb"HTTP/1\.[01] 4\d\d", out):
    fail("header flood: %r" % out[:100])
hostile += 1
# a declared 100 MiB body is refused before it is sent
out = raw(b"POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: 104857600\r\n\r\n")
if not out.startswith(b"HTTP/1.1 413") or b'"payload_too_large"' not in out:
    fail("declared 100 MiB body: %r" % out[:200])
hostile += 1
# garbage request line
out = raw(b"\x00\x01\x02 NOT HTTP\r\n\r\n")
if out and not re.match(rb"HTTP/1\.[01] 4\d\d", out):
    fail("garbage request: %r" % out[:100])
hostile += 1
# slowloris: half a request line, then nothing; the server drops it after --timeout 2
t0 = time.time()
s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
s.sendall(b"GET /v1/hea")
try:
    got = s.recv(100)
except (socket.timeout, ConnectionResetError):
    got = None
dt = time.time() - t0
s.close()
if got is None or dt > 6:
    fail("slowloris connection not closed by the server (%.1f s)" % dt)
hostile += 1
# 100 idle connections at once, then a request still answers
socks = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(40)]
st, _, j = get("/v1/health")
for x in socks:
    x.close()
expect(st, j, 200, what="health beside 40 idle connections")
st, _, j = get("/v1/health")
expect(st, j, 200, what="health after the hostile requests")
if srv.poll() is not None:
    fail("server exited during the hostile requests")
print("hostile: %d requests answered with their JSON error (or closed), slowloris dropped after %.1f s, "
      "server still serving" % (hostile, dt))

# ---- watchlists (before the ingest, so that the new blocks are watched)
st, _, j = request("GET", "/v1/watchlists")
expect(st, j, 200, what="watchlists (none yet)")
if j != {"watchlists": []}:
    fail("watchlists on a new state: %r" % j)
own = list(csv.DictReader(open(GEN + "/truth/owners.csv")))
miners = [r["address"] for r in own[:8]]
attackers = [r["address"] for r in own if r["entity"].startswith("attacker_")][:20]
W1 = sorted(set(miners + attackers))
W2 = sorted(set([a for a, _ in addrs[:20]] + miners[:1]))  # one address on both lists
st, _, j = request("POST", "/v1/watchlists", json.dumps({"name": "heist", "items": W1}).encode())
expect(st, j, 201, what="create watchlist")
wl1 = j["id"]
if j["name"] != "heist" or sorted(x["address"] for x in j["items"]) != W1:
    fail("created watchlist: %r" % j)
st, _, j = request("POST", "/v1/watchlists", json.dumps({"name": "customers", "items": W2[:10]}).encode())
expect(st, j, 201, what="create watchlist 2")
wl2 = j["id"]
st, _, j = request("POST", "/v1/watchlists/%d/items" % wl2, json.dumps({"items": W2}).encode())
expect(st, j, 200, what="add items")
if j != {"id": wl2, "added": len(W2) - 10, "already": 10}:
    fail("add items: %r, want %d added, 10 already" % (j, len(W2) - 10))
st, _, j = request("POST", "/v1/watchlists", json.dumps({"name": "tmp", "items": [miners[0]]}).encode())
expect(st, j, 201, what="create watchlist 3")
wl3 = j["id"]
expect(*request("DELETE", "/v1/watchlists/%d/items/%s" % (wl3, miners[0]))[::2], 200, what="remove item")
expect(*request("DELETE", "/v1/watchlists/%d/items/%s" % (wl3, miners[0]))[::2], 404, "not_found", "remove it again")
expect(*request("DELETE", "/v1/watchlists/%d" % wl3)[::2], 200, what="delete watchlist")
expect(*request("GET", "/v1/watchlists/%d" % wl3)[::2], 404, "not_found", "deleted watchlist")
expect(*request("DELETE", "/v1/watchlists/%d" % wl3)[::2], 404, "not_found", "delete it again")
expect(*request("GET", "/v1/watchlists/%d/items" % wl3)[::2], 404, "not_found", "items of a deleted watchlist")
expect(*request("POST", "/v1/watchlists/%d/items" % wl3, b'{"items":[]}')[::2], 404, "not_found", "add to a deleted watchlist")
expect(*request("GET", "/v1/watchlists/abc")[::2], 404, "not_found", "watchlist id abc")
expect(*request("POST", "/v1/watchlists", b'{"name":"x","items":["nope"]}')[::2], 400, "bad_address", "watch a bad address")
expect(*request("POST", "/v1/watchlists", b'{"items":[]}')[::2], 400, "bad_request", "watchlist without a name")
expect(*request("POST", "/v1/watchlists", json.dumps({"name": "x", "items": ["1"] * 10001}).encode())[::2], 413, "too_many_items", "10,001 watch items")
expect(*request("PUT", "/v1/watchlists")[::2], 405, "method_not_allowed", "PUT /v1/watchlists")
st, _, j = request("GET", "/v1/watchlists")
expect(st, j, 200, what="watchlists")
if [(x["id"], x["name"], x["items"]) for x in j["watchlists"]] != [(wl1, "heist", len(W1)), (wl2, "customers", len(W2))]:
    fail("watchlists: %r" % j)
st, _, j = request("GET", "/v1/watchlists/%d/items" % wl2)
expect(st, j, 200, what="items")
if [x["address"] for x in j["items"]] != W2:
    fail("items of watchlist %d: %r" % (wl2, j))
st, _, j = get("/v1/alerts")
expect(st, j, 200, what="alerts (none yet)")
if j["alerts"] or j["watched_height"] != H0:
    fail("alerts before any new block: %r" % j)
expect(*get("/v1/alerts?cursor=x")[::2], 400, "bad_request", "bad cursor")
expect(*get("/v1/alerts?limit=0")[::2], 400, "bad_request", "limit 0")
print("watchlists: %d + %d addresses watched; create, add, remove, delete and their errors as documented" % (len(W1), len(W2)))


class Stream(threading.Thread):
    """an SSE client on its own connection: collects (id, event, data)"""

    def __init__(self, last_id=None):
        super().__init__(daemon=True)
        self.events, self.stop, self.status, self.ctype = [], False, None, None
        self.last_id = last_id
        self.ready = threading.Event()

    def run(self):
        # a raw socket and our own chunked decoding: http.client's reader
        # does not survive read timeouts, and the stream is idle for a while
        s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        req = "GET /v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if self.last_id is not None:
            req += "Last-Event-ID: %d\r\n" % self.last_id
        s.sendall((req + "\r\n").encode())
        raw, body, head = b"", b"", None
        while not self.stop:
            r, _, _ = select.select([s], [], [], 0.3)
            if not r:
                continue
            b = s.recv(65536)
            if not b:
                break
            raw += b
            if head is None:
                if b"\r\n\r\n" not in raw:
                    continue
                head, raw = raw.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                self.status = int(lines[0].split()[1])
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    if k.lower() == "content-type":
                        self.ctype = v.strip()
                self.ready.set()
            while b"\r\n" in raw:  # chunked: HEX\r\nDATA\r\n
                size_line, rest = raw.split(b"\r\n", 1)
                n = int(size_line.split(b";")[0], 16)
                if len(rest) < n + 2:
                    break
                body += rest[:n]
                raw = rest[n + 2:]
            while b"\n\n" in body:
                ev, body = body.split(b"\n\n", 1)
                f = {}
                for line in ev.decode().split("\n"):
                    if line.startswith(":") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    f[k] = v[1:] if v.startswith(" ") else v
                if f.get("event") == "alert":
                    self.events.append((int(f["id"]), json.loads(f["data"])))
        self.ready.set()
        s.close()


sse = Stream()
sse.start()
if not sse.ready.wait(10) or sse.status != 200 or "text/event-stream" not in (sse.ctype or ""):
    fail("alert stream: status %r, type %r" % (sse.status, sse.ctype))
seen.append(("/v1/alerts/stream", "GET", 200, None))

# ---- ingest while serving
ing = subprocess.Popen([BIN, "ingest", "btc", "--blocks", GEN + "/blocks", "--db", DB, "--quiet", "--commit-every", "1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
heights, errors, stopflag = [], [], []


def client():
    while not stopflag:
        st, _, j = post_screen(items[:20])
        if st != 200:
            errors.append((st, j))
            return
        heights.append(j["height"])


th = [threading.Thread(target=client) for _ in range(2)]
for t in th:
    t.start()
infos = []
while ing.poll() is None:
    st, _, j = get("/v1/info")
    if st != 200:
        errors.append((st, j))
        break
    infos.append(j["chains"][0]["height"])
    time.sleep(0.02)
err = ing.stderr.read()
if ing.returncode != 0:
    fail("ingest while serving: rc %d: %s" % (ing.returncode, err))
st, _, j = get("/v1/info")
infos.append(j["chains"][0]["height"])
stopflag.append(1)
for t in th:
    t.join()
if errors:
    fail("errors during ingest: %r" % errors[:3])
if infos[-1] != FULL:
    fail("info height after ingest %d, want %d" % (infos[-1], FULL))
if infos[0] < H0:
    fail("info went below the starting height")
# per thread the heights never go back; across threads each is a real commit
for seq in (infos,):
    if any(b < a for a, b in zip(seq, seq[1:])):
        fail("info heights went back: %r" % seq)
distinct = sorted(set(infos))
st, _, j = post_screen(items)
expect(st, j, 200, what="screen after ingest")
if j["height"] != FULL:
    fail("screen after ingest answered from height %d" % j["height"])
if j["results"] != cli_screen(items):
    fail("screen after ingest differs from screen --json on the grown store")
print("ingest while serving: %d -> %d, info saw %d distinct heights, %d screens during it, all 200; "
      "screens after it equal the CLI" % (H0, FULL, len(distinct), len(heights)))

def check_openapi():
    """every answer so far against the document"""
    st, _, j = get("/v1/openapi.json")
    expect(st, j, 200, what="openapi")
    if j != SPEC:
        fail("/v1/openapi.json differs from docs/openapi.json")
    if not SPEC.get("openapi", "").startswith("3.1"):
        fail("not OpenAPI 3.1")


    def resolve(s):
        while "$ref" in s:
            ref = s["$ref"]
            assert ref.startswith("#/")
            s = SPEC
            for part in ref[2:].split("/"):
                s = s[part]
        return s


    TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


    def conforms(v, s, where):
        """'' when v has what schema s requires (types, required properties, items), else why not"""
        s = resolve(s)
        if "oneOf" in s:
            whys = [conforms(v, x, where) for x in s["oneOf"]]
            return "" if any(w == "" for w in whys) else "%s: matches no oneOf branch (%s)" % (where, "; ".join(whys))
        if "type" in s:
            ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
            ok = False
            for t in ts:
                if t in TYPES and isinstance(v, TYPES[t]) and not (t != "boolean" and isinstance(v, bool)):
                    ok = True
                if t == "integer" and isinstance(v, int) and not isinstance(v, bool):
                    ok = True
                if t == "number" and isinstance(v, (int, float)) and not isinstance(v, bool):
                    ok = True
            if not ok:
                return "%s: %r is not %s" % (where, v if len(repr(v)) < 60 else type(v).__name__, ts)
        if "enum" in s and v not in s["enum"]:
            return "%s: %r not in %r" % (where, v, s["enum"])
        if "const" in s and v != s["const"]:
            return "%s: %r != %r" % (where, v, s["const"])
        if isinstance(v, dict):
            for k in s.get("required", []):
                if k not in v:
                    return "%s: required property %r missing" % (where, k)
            for k, sub in s.get("properties", {}).items():
                if k in v:
                    w = conforms(v[k], sub, where + "." + k)
                    if w:
                        return w
        if isinstance(v, list) and "items" in s:
            for i, x in enumerate(v):
                w = conforms(x, s["items"], "%s[%d]" % (where, i))
                if w:
                    return w
        return ""


    checked = set()
    for tpl, method, status, body in seen:
        if tpl is None:
            if status != 404:
                fail("answer %d for a path outside the document" % status)
            continue
        op = SPEC["paths"][tpl].get(method.lower())
        if op is None:
            if status != 405:
                fail("%s %s answered %d but the document has no such operation" % (method, tpl, status))
            continue
        resp = op["responses"].get(str(status))
        if resp is None:
            fail("%s %s answered %d, not in the document (has %s)" % (method, tpl, status, sorted(op["responses"])))
        if body is None:  # an event stream: status and content type only
            if "text/event-stream" not in resp["content"]:
                fail("%s %s: the document gives no text/event-stream answer" % (method, tpl))
            checked.add((tpl, method, status))
            continue
        schema = resp["content"]["application/json"]["schema"]
        why = conforms(body, schema, "%s %s %d" % (method, tpl, status))
        if why:
            fail("OpenAPI: " + why)
        checked.add((tpl, method, status))
    ops = {(t, m.upper()) for t, p in SPEC["paths"].items() for m in p}
    missed = ops - {(t, m) for t, m, _ in checked}
    if missed:
        fail("operations of the document never exercised: %r" % sorted(missed))
    print("openapi: %d answers checked, %d (route, method, status) pairs, every operation exercised" % (len(seen), len(checked)))



# ---- the alerts of the new blocks, against the CLI on the grown store
deadline = time.time() + 20
while True:
    st, _, j = get("/v1/alerts?limit=1")
    if j["watched_height"] == FULL or time.time() > deadline:
        break
    time.sleep(0.05)
if j["watched_height"] != FULL:
    fail("the watcher reached height %d, not %d" % (j["watched_height"], FULL))
got = []
cur = 0
pages = 0
while True:
    st, _, j = get("/v1/alerts?limit=7&cursor=%d" % cur)
    expect(st, j, 200, what="alerts page")
    pages += 1
    if not j["alerts"]:
        if j["next_cursor"] != cur:
            fail("an empty page moved the cursor")
        break
    got += j["alerts"]
    cur = j["next_cursor"]
if [a["id"] for a in got] != sorted(a["id"] for a in got) or len({a["id"] for a in got}) != len(got):
    fail("alert ids not ascending and unique over the pages")
want = {}
txcache = {}
for wl, lst in ((wl1, W1), (wl2, W2)):
    for a in lst:
        d = json.loads(cli("address", a, "--json", "--txs", "--limit", "0").stdout)
        for t in d.get("txs", []):
            if t["height"] <= H0:
                continue
            if t["txid"] not in txcache:
                txcache[t["txid"]] = json.loads(cli("tx", t["txid"], "--json").stdout)
            tx = txcache[t["txid"]]
            ins = [i for i in tx["inputs"] if i.get("address") == a]
            outs = [o for o in tx["outputs"] if o["address"] == a]
            svc = {}
            for o in tx["outputs"]:
                e = o.get("entity")
                if e and e["category"] in ("exchange", "bridge", "mixer"):
                    svc[(e["label"], e["category"])] = svc.get((e["label"], e["category"]), 0) + o["value"]
            for dirn, rows in (("sent", ins), ("received", outs)):
                if rows:
                    want[(wl, a, t["txid"], dirn)] = (sum(x["value"] for x in rows), tx["height"], tx["block"], svc,
                                                       [(o["address"], o["value"]) for o in tx["outputs"][:50]])
if not want:
    fail("no watched address moved in the new blocks: the test watches nothing")
have = {}
for al in got:
    k = (al["watchlist"], al["address"], al["txid"], al["direction"])
    if k in have:
        fail("alert %r twice" % (k,))
    have[k] = al
if set(have) != set(want):
    fail("alerts differ from the CLI's history: missing %r, extra %r" % (sorted(set(want) - set(have))[:3], sorted(set(have) - set(want))[:3]))
lat = []
for k, al in have.items():
    amount, height, block, svc, outs = want[k]
    if (al["amount"], al["height"], al["block"]) != (amount, height, block) or al["orphaned"]:
        fail("alert %r: %r, want amount %d at %d" % (k, al, amount, height))
    if {(x["label"], x["category"]): x["value"] for x in al["services"]} != svc:
        fail("alert %r: services %r, want %r" % (k, al["services"], svc))
    if [(o["address"], o["value"]) for o in al["outputs"]] != outs:
        fail("alert %r: outputs differ from tx --json" % (k,))
    if not al["committed_ms"] <= al["alerted_ms"]:
        fail("alert %r: alerted before its commit" % (k,))
    lat.append(al["latency_ms"])
lat.sort()
nsvc = sum(1 for a in got if a["services"])
both = sum(1 for k in have if k[0] == wl2 and k[1] == miners[0])
if not both or not any(k[0] == wl1 and k[1] == miners[0] for k in have):
    fail("the address on both watchlists did not alert on both")
# the stream saw the same alerts, in order
t0 = time.time()
while len(sse.events) < len(got) and time.time() - t0 < 10:
    time.sleep(0.05)
if [(i, a) for i, a in sse.events] != [(a["id"], a) for a in got]:
    fail("the stream gave %d alerts, the list %d (or they differ)" % (len(sse.events), len(got)))
# resume after the 5th: exactly the rest
k = min(5, len(got) - 1)
rs = Stream(last_id=got[k - 1]["id"])
rs.start()
rs.ready.wait(10)
t0 = time.time()
while len(rs.events) < len(got) - k and time.time() - t0 < 10:
    time.sleep(0.05)
time.sleep(0.2)
if [i for i, _ in rs.events] != [a["id"] for a in got[k:]]:
    fail("Last-Event-ID %d resumed with %r, want %r" % (got[k - 1]["id"], [i for i, _ in rs.events][:5], [a["id"] for a in got[k:]][:5]))
seen.append(("/v1/alerts/stream", "GET", 200, None))
expect(*get("/v1/alerts/stream?cursor=x")[::2], 400, "bad_request", "bad stream cursor")
print("alerts: %d (%d pages of 7) equal the CLI's history of the %d watched addresses over blocks %d..%d, "
      "%d reached a service; the stream gave the same, Last-Event-ID resumed after #%d; latency after commit "
      "p50 %d ms, p99 %d ms, max %d ms" % (len(got), pages, len(set(W1 + W2)), H0 + 1, FULL, nsvc, k,
                                            lat[len(lat) // 2], lat[min(len(lat) - 1, int(0.99 * len(lat)))], lat[-1]))
check_openapi()
before = (get("/v1/watchlists")[2], get("/v1/alerts?limit=1000")[2]["alerts"])

# ---- SIGTERM with a request in flight
body = json.dumps({"chain": "btc", "items": items[:50]}).encode()
s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
s.sendall(b"POST /v1/screen HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[:len(body) // 2])
time.sleep(0.2)
srv.send_signal(signal.SIGTERM)
time.sleep(0.5)
if srv.poll() is not None:
    fail("server exited with a request in flight (rc %r)" % srv.returncode)
try:
    c2 = socket.create_connection(("127.0.0.1", PORT), timeout=2)
    c2.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    if c2.recv(100):
        fail("a new connection was served after SIGTERM")
    c2.close()
except (ConnectionRefusedError, ConnectionResetError, socket.timeout):
    pass
s.sendall(body[len(body) // 2:])
out = b""
while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) < int(re.search(rb"Content-Length: (\d+)", out, re.I).group(1) if re.search(rb"Content-Length: (\d+)", out, re.I) else 1 << 30):
    b = s.recv(65536)
    if not b:
        break
    out += b
s.close()
if not out.startswith(b"HTTP/1.1 200"):
    fail("in-flight request after SIGTERM: %r" % out[:200])
res = json.loads(out.split(b"\r\n\r\n", 1)[1])["results"]
if len(res) != 50:
    fail("in-flight request: %d results" % len(res))
try:
    rc = srv.wait(timeout=15)
except subprocess.TimeoutExpired:
    fail("server still running 15 s after SIGTERM")
if rc != 0:
    fail("server exit status %d after SIGTERM" % rc)
sse.join(5)
rs.join(5)
if sse.is_alive() or rs.is_alive():
    fail("alert streams still open after the server stopped")
print("SIGTERM: the request in flight was answered (50 results), alert streams ended, new connections refused, exit 0")


# ---- the state survives a restart and kill -9
def start():
    global srv, PORT
    srv = subprocess.Popen([BIN, "serve", "--db", DB, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                           stderr=open(DB + ".serve.err", "a"), text=True)
    m = re.match(r"listening on http://127\.0\.0\.1:(\d+)$", srv.stdout.readline().strip())
    if not m:
        fail("restart: serve did not start")
    PORT = int(m.group(1))


for how in ("SIGTERM", "SIGKILL"):
    start()
    after = (get("/v1/watchlists")[2], get("/v1/alerts?limit=1000")[2]["alerts"])
    if after != before:
        fail("state after a restart (%s before) differs" % how)
    srv.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
    srv.wait(timeout=15)
print("state: watchlists and %d alerts the same after a restart and after kill -9" % len(before[1]))
