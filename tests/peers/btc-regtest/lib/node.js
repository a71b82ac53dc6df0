// node.js - launcher for the fixture's bcoin regtest full node + wallet plugin.
//
// Same setup as bcoin's own bin/node, with one difference: it never calls
// node.connect()/startSync(), so the node makes no p2p connections at all.
// bcoin's regtest seed list is 127.0.0.1, so bin/node would dial
// 127.0.0.1:48444 and happily sync from any other bcoin regtest node running on
// this machine; a fixture chain must only contain blocks this node mined.
// Options come from argv and BCOIN_* environment variables (see ../start).
'use strict';

process.title = 'bcoin-fixture';

const FullNode = require('bcoin/lib/node/fullnode');
const walletPlugin = require('bcoin/lib/wallet/plugin');

const node = new FullNode({
  config: true,
  argv: true,
  env: true,
  logFile: true,
  logConsole: false,
  logLevel: 'info',
  memory: false,
  workers: false,
  listen: false,
  loader: require
});
node.use(walletPlugin);

let closing = false;
async function shutdown(sig) {
  if (closing)
    return;
  closing = true;
  try {
    await node.close(); // flushes chain and wallet databases
  } catch (e) {
    console.error(`close after ${sig} failed: ${e.stack}`);
    process.exit(1);
  }
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('unhandledRejection', (err) => { throw err; });

(async () => {
  await node.ensure();
  await node.open();
  console.log(`bcoin ${require('bcoin/package.json').version} regtest open, ` +
              `height ${node.chain.height}, pid ${process.pid}`);
})().catch((err) => {
  console.error(err.stack);
  process.exit(1);
});
