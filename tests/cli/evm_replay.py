#!/usr/bin/env python3
"""evm_replay.py — an Ethereum JSON-RPC replay server over ethereum-etl's
recorded node responses (web3_response.<method>_<params>.json files), for
t_evm_rpc.sh.

A request for METHOD with params [p1, p2, ...] is answered with the "result"
of DIR/web3_response.METHOD_p1_p2.json (booleans as true/false, objects as
their JSON), so the server answers exactly what a real mainnet node answered
when ethereum-etl recorded it.  eth_chainId and eth_blockNumber come from
--chain-id and --tip unless a recording exists.  A method with no recording
at all is answered like a node without it (-32601 "the method ... does not
exist/is not available"); a recorded method with other params gets -32000
"not recorded"; eth_getBlockByNumber [N, false] is derived from a recorded
[N, true] (the transactions replaced by their hashes), as a node would answer.
--garbage METHOD answers that method with a non-JSON body.
Batch arrays are answered as arrays.  Threaded, keep-alive.

Options: --dir DIR (repeatable), --port-file FILE, --chain-id N, --tip N,
--garbage METHOD, --count-file FILE (requests served, written at exit)."""
import argparse, glob, http.server, json, os, signal, socketserver, sys, threading

ap = argparse.ArgumentParser()
ap.add_argument('--dir', action='append', required=True)
ap.add_argument('--port-file', required=True)
ap.add_argument('--chain-id', type=int, default=1)
ap.add_argument('--tip', type=int, default=0)
ap.add_argument('--garbage')
ap.add_argument('--count-file')
a = ap.parse_args()

REC = {}
for d in a.dir:
    for p in glob.glob(os.path.join(d, 'web3_response.*.json')):
        key = os.path.basename(p)[len('web3_response.'):-len('.json')]
        REC[key] = json.load(open(p))['result']
METHODS = {k.split('_')[0] + '_' + k.split('_')[1] if k.startswith(('eth_', 'debug_', 'trace_')) else k
           for k in REC}
count = 0
lock = threading.Lock()


def param_key(p):
    if isinstance(p, bool):
        return 'true' if p else 'false'
    if isinstance(p, (dict, list)):
        return json.dumps(p, separators=(',', ':'))
    return str(p)


def answer(req):
    method, params, rid = req.get('method'), req.get('params') or [], req.get('id')
    key = '_'.join([method] + [param_key(p) for p in params])
    if key in REC:
        return {'jsonrpc': '2.0', 'id': rid, 'result': REC[key]}
    if method == 'eth_getBlockByNumber' and len(params) == 2 and params[1] is False:
        # a node answers the hashes-only form of any block it has in full
        full = REC.get('_'.join([method, param_key(params[0]), 'true']))
        if isinstance(full, dict):
            b = dict(full)
            b['transactions'] = [t['hash'] if isinstance(t, dict) else t for t in full.get('transactions', [])]
            return {'jsonrpc': '2.0', 'id': rid, 'result': b}
    if method == 'eth_chainId':
        return {'jsonrpc': '2.0', 'id': rid, 'result': hex(a.chain_id)}
    if method == 'eth_blockNumber':
        return {'jsonrpc': '2.0', 'id': rid, 'result': hex(a.tip)}
    if method in METHODS:
        return {'jsonrpc': '2.0', 'id': rid, 'error': {'code': -32000, 'message': 'not recorded: ' + key}}
    return {'jsonrpc': '2.0', 'id': rid,
            'error': {'code': -32601, 'message': 'the method %s does not exist/is not available' % method}}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_POST(self):
        global count
        n = int(self.headers.get('Content-Length') or 0)
        body = json.loads(self.rfile.read(n))
        with lock:
            count += 1
        reqs = body if isinstance(body, list) else [body]
        if a.garbage and any(r.get('method') == a.garbage for r in reqs):
            out = b'<html>this is not JSON'
        else:
            res = [answer(r) for r in reqs]
            out = json.dumps(res if isinstance(body, list) else res[0]).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = S(('127.0.0.1', 0), H)


def bye(*_):
    if a.count_file:
        open(a.count_file, 'w').write('%d\n' % count)
    os._exit(0)


signal.signal(signal.SIGTERM, bye)
with open(a.port_file + '.tmp', 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(a.port_file + '.tmp', a.port_file)
srv.serve_forever()
