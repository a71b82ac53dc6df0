#!/usr/bin/env python3
"""rpc_replay.py — a Bitcoin Core JSON-RPC replay server over a blk file, for
the end-to-end tests (t_https.sh) and bench/rpc_window.sh.

Serves getblockchaininfo, getblockcount, getblockhash H, getbestblockhash and
getblock HASH 0 from the blocks of a Bitcoin Core blk*.dat file (4-byte magic,
4-byte LE length, block), taken in file order as heights 0, 1, ... (the file
must hold one chain in order, as blk00000.dat of mainnet does).  Errors are
answered like Core: HTTP 500 with a JSON-RPC error object.  Batch arrays are
answered as arrays.  Threaded: one thread per connection, keep-alive.

Options: --blocks FILE, --port-file FILE (the chosen port is written there),
--latency-ms N (sleep per request), --fail-first N (the first N requests get
HTTP 429), --user/--password (Basic auth required), --cert/--key (HTTPS),
--stop-height H (the node's chain ends at H), --count-file FILE (requests
served, written at exit), --chain NAME (default main).
"""
import argparse, base64, hashlib, http.server, json, signal, socketserver, ssl, struct, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument('--blocks', required=True)
ap.add_argument('--port-file', required=True)
ap.add_argument('--latency-ms', type=float, default=0)
ap.add_argument('--fail-first', type=int, default=0)
ap.add_argument('--user')
ap.add_argument('--password')
ap.add_argument('--cert')
ap.add_argument('--key')
ap.add_argument('--stop-height', type=int, default=-1)
ap.add_argument('--chain', default='main')
args = ap.parse_args()

hashes, raws, by_hash = [], [], {}
data = open(args.blocks, 'rb').read()
off = 0
while off + 8 <= len(data) and data[off:off + 4] == bytes.fromhex('f9beb4d9'):
    n = struct.unpack_from('<I', data, off + 4)[0]
    blk = data[off + 8:off + 8 + n]
    h = hashlib.sha256(hashlib.sha256(blk[:80]).digest()).digest()[::-1].hex()
    by_hash[h] = len(raws)
    hashes.append(h)
    raws.append(blk)
    off += 8 + n
    if args.stop_height >= 0 and len(raws) > args.stop_height:
        break
tip = len(raws) - 1
lock = threading.Lock()
state = {'requests': 0}
want_auth = None
if args.user is not None:
    want_auth = 'Basic ' + base64.b64encode(('%s:%s' % (args.user, args.password or '')).encode()).decode()


def answer(req):
    method, params, rid = req.get('method'), req.get('params') or [], req.get('id')
    def ok(r): return {'result': r, 'error': None, 'id': rid}
    def err(code, msg): return {'result': None, 'error': {'code': code, 'message': msg}, 'id': rid}
    if method == 'getblockchaininfo':
        return ok({'chain': args.chain, 'blocks': tip, 'headers': tip, 'bestblockhash': hashes[tip]})
    if method == 'getblockcount':
        return ok(tip)
    if method == 'getbestblockhash':
        return ok(hashes[tip])
    if method == 'getblockhash':
        if not params or not isinstance(params[0], int) or not 0 <= params[0] <= tip:
            return err(-8, 'Block height out of range')
        return ok(hashes[params[0]])
    if method == 'getblock':
        i = by_hash.get(params[0] if params else None)
        if i is None:
            return err(-5, 'Block not found')
        if len(params) < 2 or params[1] != 0:
            return err(-8, 'only verbosity 0 is replayed')
        return ok(raws[i].hex())
    return err(-32601, 'Method not found')


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True  # headers and body are separate writes

    def send(self, code, body, extra=()):
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with lock:
            state['requests'] += 1
            n = state['requests']
        if args.latency_ms:
            time.sleep(args.latency_ms / 1000.0)
        if want_auth is not None and self.headers.get('Authorization') != want_auth:
            return self.send(401, b'', [('WWW-Authenticate', 'Basic realm="jsonrpc"')])
        if n <= args.fail_first:
            return self.send(429, b'{"error":"slow down"}', [('Retry-After', '0')])
        try:
            req = json.loads(body)
        except ValueError:
            return self.send(500, json.dumps(
                {'result': None, 'error': {'code': -32700, 'message': 'Parse error'}, 'id': None}).encode())
        if isinstance(req, list):
            return self.send(200, json.dumps([answer(r) for r in req]).encode())
        rep = answer(req)
        self.send(500 if rep['error'] else 200, json.dumps(rep).encode())

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


srv = S(('127.0.0.1', 0), H)
if args.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(args.port_file + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + '.tmp', args.port_file)
try:
    srv.serve_forever()
finally:
    sys.stderr.write('rpc_replay: %d requests\n' % state['requests'])
