// http.js - clients for a fixture node, configured from DATADIR/rpc.env.
// rpc() speaks Bitcoin-Core-style JSON-RPC (POST / with basic auth), the same
// way chainsleuth's `ingest btc --rpc` will; the wallet REST API goes through
// bclient's WalletClient.
'use strict';

const fs = require('fs');
const http = require('http');
const {WalletClient} = require('bclient');

// Parse KEY=VALUE lines (no quoting, no expansion).
function readEnv(file) {
  const env = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m)
      env[m[1]] = m[2];
  }
  for (const k of ['RPC_URL', 'RPC_USER', 'RPC_PASSWORD', 'WALLET_URL'])
    if (!env[k])
      throw new Error(`${file}: ${k} missing`);
  return env;
}

const agent = new http.Agent({keepAlive: true, maxSockets: 4});
let rpcId = 0;

// One JSON-RPC call; resolves to `result`, rejects with the node's error
// message. Responses are capped at 64 MiB (a verbose block of the fixture is
// well under 1 MiB).
function rpc(env, method, params) {
  const url = new URL(env.RPC_URL);
  const body = JSON.stringify({jsonrpc: '1.0', id: ++rpcId, method, params});
  const auth = Buffer.from(`${env.RPC_USER}:${env.RPC_PASSWORD}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body),
                'Authorization': `Basic ${auth}`}
    }, (res) => {
      const chunks = [];
      let len = 0;
      res.on('data', (c) => {
        len += c.length;
        if (len > 64 << 20) { req.destroy(new Error(`${method}: response over 64 MiB`)); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let msg;
        try { msg = JSON.parse(text); } catch (e) {
          reject(new Error(`${method}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
          return;
        }
        if (msg.error)
          reject(new Error(`${method}: ${msg.error.message || JSON.stringify(msg.error)}`));
        else if (res.statusCode !== 200)
          reject(new Error(`${method}: HTTP ${res.statusCode}`));
        else
          resolve(msg.result);
      });
    });
    req.setTimeout(120000, () => req.destroy(new Error(`${method}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}

function walletClient(env) {
  const url = new URL(env.WALLET_URL);
  return new WalletClient({host: url.hostname, port: parseInt(url.port, 10),
                           apiKey: env.RPC_PASSWORD, timeout: 120000});
}

async function walletGet(env, path) {
  return walletClient(env).get(path);
}

module.exports = {readEnv, rpc, walletClient, walletGet};
