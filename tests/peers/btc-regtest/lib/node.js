// node.js - launcher for the fixture's bcoin regtest full node + wallet plugin.
//
// Same setup as bcoin's own bin/node, with one difference: it never calls
// node.connect()/startSync(), so the node makes no p2p connections at all.
// bcoin's regtest seed list is 127.0.0.1, so bin/node would dial
// 127.0.0.1:48444 and happily sync from any other bcoin regtest node running on
// this machine; a fixture chain must only contain blocks this node mined.
// Options come from argv and BCOIN_* environment variables (see ../start).
//
// Two more changes make a chain reproducible: the same make-chain seed on a
// fresh node gives byte-identical blocks.
//  - Mock time (what Core's setmocktime does): the node's network clock reads
//    MOCK_BASE + 600 s per block of the current tip, so block h is stamped
//    2025-01-01T00:00:00Z + (h - 1) * 10 min. Wall-clock time otherwise ends up
//    in every header.
//  - Math.random is a seeded PRNG. bcoin's block template puts 4 bytes of
//    Math.random into every coinbase (its regtest does not enforce BIP34, so
//    this keeps coinbase txids unique); unseeded, every txid downstream of a
//    coinbase would differ between runs.
'use strict';

process.title = 'bcoin-fixture';

const FullNode = require('bcoin/lib/node/fullnode');
const walletPlugin = require('bcoin/lib/wallet/plugin');

const MOCK_BASE = 1735689600; // 2025-01-01T00:00:00Z

let rs = 0x2545f491; // xorshift32 state, fixed: the chain's variety comes from make-chain's seed
Math.random = function seededRandom() {
  rs ^= rs << 13; rs >>>= 0;
  rs ^= rs >>> 17;
  rs ^= rs << 5; rs >>>= 0;
  return rs / 4294967296;
};

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
node.network.time.now = () => MOCK_BASE + 600 * (node.chain.tip ? node.chain.height : 0);

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
