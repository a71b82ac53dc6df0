// wait-ready.js - wait until a fixture node's RPC and wallet HTTP both answer.
// Usage: node wait-ready.js DATADIR/rpc.env PID TIMEOUT_SECONDS
// Exit 0 when ready; 1 when PID dies or the timeout passes.
'use strict';

const {readEnv, rpc, walletGet} = require('./http');

const [envFile, pidArg, timeoutArg] = process.argv.slice(2);
const env = readEnv(envFile);
const pid = parseInt(pidArg, 10);
const deadline = Date.now() + 1000 * parseFloat(timeoutArg || '60');

function alive(p) {
  try { process.kill(p, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

(async () => {
  let last = '';
  while (Date.now() < deadline) {
    if (!alive(pid)) {
      console.error(`bcoin (pid ${pid}) exited`);
      process.exit(1);
    }
    try {
      const height = await rpc(env, 'getblockcount', []);
      await walletGet(env, '/wallet/primary');
      console.error(`bcoin ready: pid ${pid}, height ${height}, ${env.RPC_URL}`);
      return;
    } catch (e) {
      last = e.message;
    }
    await new Promise(r => setTimeout(r, 250));
  }
  console.error(`bcoin not ready after ${timeoutArg} s: ${last}`);
  process.exit(1);
})();
