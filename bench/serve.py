#!/usr/bin/python3
"""bench/serve.py — latency of POST /v1/screen on `chainsleuth serve`.

Usage: bench/serve.py [--txs N] [--seconds S] [--clients 1,4] [--threads T]
                      [--bin build/release/chainsleuth] [--gen build/release/chainsleuth-gen]

Generates a heist chain (chainsleuth-gen --txs N), ingests, clusters, tags
and indexes it in a scratch directory, starts the server on an ephemeral
port and, for batches of 1 and 1,000 addresses and each client count, runs
that many Python threads, each on its own keep-alive connection, posting
screens for S seconds.  Prints one row per case: batch size, clients,
requests, requests/s, items/s, p50/p99/max latency (ms), the server's peak
RSS, and a hash of the answers to one fixed request per batch size (equal
across runs and builds that answer the same); then rows "addr" for GET
/v1/address (the summary and the address's screen) on keep-alive
connections.  Never fails on a timing.
Python's client costs are in the numbers: read them as an upper bound."""
import argparse
import csv
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--txs", type=int, default=30000)
ap.add_argument("--seconds", type=float, default=3.0)
ap.add_argument("--clients", default="1,4")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--bin", default="build/release/chainsleuth")
ap.add_argument("--gen", default="build/release/chainsleuth-gen")
a = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="cs-bench-serve.")
try:
    run = lambda *c: subprocess.run(c, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    run(a.gen, "--out", tmp + "/gen", "--txs", str(a.txs), "--seed", "3", "--scenario", "heist", "--quiet")
    db = tmp + "/db"
    run(a.bin, "ingest", "btc", "--blocks", tmp + "/gen/blocks", "--db", db, "--quiet")
    run(a.bin, "cluster", "--db", db)
    run(a.bin, "tags", "import", tmp + "/gen/truth/tags.csv", "--db", db)
    run(a.bin, "screen", "--build-index", "--db", db)
    print("store: %d generated txs, built in %.1f s" % (a.txs, time.time() - t0))
    # addresses the store has: those of the clustering export
    run(a.bin, "cluster", "--db", db, "--export", tmp + "/c.csv")
    have = [r["address"] for r in csv.DictReader(open(tmp + "/c.csv"))]
    random.Random(1).shuffle(have)
    pool = have[:5000]

    srv = subprocess.Popen([a.bin, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", str(a.threads)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(re.search(r":(\d+)$", srv.stdout.readline().strip()).group(1))

    def post(conn, items):
        body = json.dumps({"chain": "btc", "items": items}).encode()
        conn.request("POST", "/v1/screen", body=body, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise SystemExit("bench: status %d: %r" % (r.status, data[:200]))
        return data

    def peak_rss_mb():
        for line in open("/proc/%d/status" % srv.pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0

    print("%6s %7s %8s %9s %10s %8s %8s %8s %9s  %s" % ("batch", "clients", "requests", "req/s", "items/s",
                                                         "p50 ms", "p99 ms", "max ms", "peak MB", "answer sha256"))
    for batch in (1, 1000):
        c = http.client.HTTPConnection("127.0.0.1", port)
        digest = hashlib.sha256(post(c, pool[:batch])).hexdigest()[:16]
        c.close()
        for clients in [int(x) for x in a.clients.split(",")]:
            lat, lock = [], threading.Lock()
            stop = time.time() + a.seconds

            def worker(k):
                rnd = random.Random(k)
                conn = http.client.HTTPConnection("127.0.0.1", port)
                mine = []
                while time.time() < stop:
                    items = rnd.sample(pool, batch)
                    t = time.perf_counter()
                    post(conn, items)
                    mine.append(time.perf_counter() - t)
                conn.close()
                with lock:
                    lat.extend(mine)

            th = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
            t = time.time()
            for x in th:
                x.start()
            for x in th:
                x.join()
            wall = time.time() - t
            lat.sort()
            q = lambda p: 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]
            print("%6d %7d %8d %9.1f %10.0f %8.2f %8.2f %8.2f %9.1f  %s" % (
                batch, clients, len(lat), len(lat) / wall, batch * len(lat) / wall, q(0.50), q(0.99),
                1000 * lat[-1], peak_rss_mb(), digest))
    # GET /v1/address on keep-alive connections (summary + its screen)
    for clients in [int(x) for x in a.clients.split(",")]:
        lat, lock = [], threading.Lock()
        stop = time.time() + a.seconds

        def getter(k):
            rnd = random.Random(100 + k)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            mine = []
            while time.time() < stop:
                t = time.perf_counter()
                conn.request("GET", "/v1/address/btc/" + rnd.choice(pool))
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    raise SystemExit("bench: GET /v1/address: %d" % r.status)
                mine.append(time.perf_counter() - t)
            conn.close()
            with lock:
                lat.extend(mine)

        th = [threading.Thread(target=getter, args=(k,)) for k in range(clients)]
        t = time.time()
        for x in th:
            x.start()
        for x in th:
            x.join()
        wall = time.time() - t
        lat.sort()
        q = lambda p: 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]
        print("%6s %7d %8d %9.1f %10s %8.2f %8.2f %8.2f %9.1f  %s" % (
            "addr", clients, len(lat), len(lat) / wall, "-", q(0.50), q(0.99), 1000 * lat[-1], peak_rss_mb(), "-"))
    srv.terminate()
    srv.wait(timeout=20)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
