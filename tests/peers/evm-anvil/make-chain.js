#!/usr/bin/env node
// make-chain.js - build a small real EVM chain on a running anvil, for chainsleuth's
// `ingest evm --rpc` test (tests/cli/t_evm_anvil.sh). It starts nothing: it talks
// JSON-RPC to the anvil at URL, which must have been started with --mnemonic MNEMONIC.
//
// Usage:
//   node make-chain.js URL OUTDIR --mnemonic "..."                 build; write OUTDIR/chain.json
//   node make-chain.js URL OUTDIR --mnemonic "..." --reorg DEPTH   replace the last DEPTH blocks
//        by a different branch (anvil_reorg), mine one more block on it; write OUTDIR/reorg.json
//        (with --same-height: no block more, other amounts; OUTDIR/reorg-same.json)
//   node make-chain.js URL --mnemonic "..." --heist OUTDIR      play a small Bybit-style heist
//        (see heist.js) and write OUTDIR/heist-truth.json and OUTDIR/heist-tags.csv from the node
//
// The build compiles contracts.sol with solc-js (the compiler is inside the npm
// package: nothing is downloaded), deploys the contracts and sends, one scenario
// after another (each tx is mined by anvil's automine unless said otherwise):
//   legacy / eip2930 / eip1559   ETH transfers of tx types 0, 1 and 2 (signed here)
//   node_signed                  an ETH transfer signed by the node (eth_sendTransaction)
//   erc20_transfer / _approve / _transferFrom   Pebble (ERC-20) transfer, approve, transferFrom
//   weth_deposit / weth_withdraw Wrapped: deposit() and withdraw(), Deposit/Withdrawal events
//   route                        Router.pay: ETH Router -> Hop -> payee (CALLs at depth 1 and 2)
//   create_with_value            a Piggy deployed with value (top-level creation)
//   inner_create_with_value      Factory.spawn: CREATE with value inside a call
//   selfdestruct                 Piggy.smash: SELFDESTRUCT sends the Piggy's ETH to its owner
//   create_selfdestruct          Factory.spawn(now_): CREATE and SELFDESTRUCT in one tx
//   reverted                     Router.refuse with value: mined with status 0
//   inner_revert                 Router.tryPay: inner Hop.fail calls revert, the outer call succeeds
//   batch                        8 txs of several senders in one block (automine off, evm_mine)
//
// Then it walks the chain (blocks, receipts' logs, callTracer frames) and writes
// every account that appeared - senders, receivers, contracts, frame addresses,
// Transfer log parties, the block miner - with the node's balances:
//   {"chain_id":31337, "tip":N, "tip_hash":"0x..", "miner":"0x..",
//    "token":"0x..", "weth":"0x..", "contracts":{name: addr},
//    "token_total_supply":"..",
//    "accounts":{"0xlower":{"eth":"<wei at tip>","eth_genesis":"<wei at block 0>",
//                           "token":"<Pebble balanceOf at tip>","weth":"<Wrapped balanceOf>"}},
//    "scenarios":{name:[tx hash, ...]}, "details":{...}, "txs":[every tx hash, in chain order]}
// All addresses are lower case, amounts decimal strings.
//
// --reorg DEPTH: with blocks tip-DEPTH+1..tip as the old branch, anvil_reorg(DEPTH, txs)
// replaces them with DEPTH new blocks carrying other txs (ETH transfers of the three
// types and a Pebble transfer, all signed here), then one more block is mined on the
// new branch (so it is one block longer). reorg.json has the same account and balance
// fields for the new tip plus "fork_point" (the last common block), "old_txs" (txs of
// the replaced blocks), "new_txs" (txs of the new blocks) and "txs" (all, chain order).
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');
const {ethers} = require('ethers');

function usage(msg) {
  if (msg) console.error(`make-chain.js: ${msg}`);
  console.error('usage: node make-chain.js URL OUTDIR --mnemonic "words" [--reorg DEPTH [--same-height]]\n' +
    '       node make-chain.js URL --mnemonic "words" --heist OUTDIR');
  process.exit(2);
}
const argv = process.argv.slice(2);
const pos = [];
let MNEMONIC = null, REORG = 0;
let SAME = false; // --same-height: no block on top of the new branch, other amounts
let HEIST = null; // --heist OUTDIR: play the heist (heist.js) instead of the chain
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--mnemonic') MNEMONIC = argv[++i];
  else if (argv[i] === '--heist') HEIST = argv[++i];
  else if (argv[i] === '--reorg') REORG = parseInt(argv[++i], 10);
  else if (argv[i] === '--same-height') SAME = true;
  else if (argv[i].startsWith('--')) usage(`unknown option ${argv[i]}`);
  else pos.push(argv[i]);
}
if (HEIST !== null && !HEIST) usage('--heist needs an output directory');
if (HEIST !== null && pos.length === 1) pos.push(HEIST);
if (pos.length !== 2) usage();
if (!MNEMONIC) usage('--mnemonic is required (the one anvil was started with)');
if (argv.includes('--reorg') && !(REORG >= 1)) usage('--reorg needs a depth >= 1');
const [URL, OUT] = pos;

let rpcId = 0;
async function rpc(method, params = []) {
  const r = await fetch(URL, {method: 'POST', headers: {'content-type': 'application/json'},
    body: JSON.stringify({jsonrpc: '2.0', id: ++rpcId, method, params})});
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${JSON.stringify(j.error)}`);
  return j.result;
}
const hex = (n) => '0x' + BigInt(n).toString(16);
const lower = (a) => (a ? a.toLowerCase() : a);
const GWEI = 10n ** 9n, ETHER = 10n ** 18n;

function compile() {
  const input = {language: 'Solidity',
    sources: {'contracts.sol': {content: fs.readFileSync(path.join(__dirname, 'contracts.sol'), 'utf8')}},
    settings: {evmVersion: 'cancun', optimizer: {enabled: true, runs: 200},
      outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object']}}}};
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errs = (out.errors || []).filter((e) => e.severity === 'error');
  if (errs.length) throw new Error(errs.map((e) => e.formattedMessage).join('\n'));
  const C = {};
  for (const [name, c] of Object.entries(out.contracts['contracts.sol']))
    C[name] = {iface: new ethers.Interface(c.abi), bytecode: '0x' + c.evm.bytecode.object};
  return C;
}

// Keys of the node's dev accounts (anvil derives them from the mnemonic like this).
async function wallets() {
  const accts = (await rpc('eth_accounts')).map(lower);
  const w = accts.map((_, i) => ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`));
  for (let i = 0; i < accts.length; i++)
    if (lower(w[i].address) !== accts[i]) throw new Error(`anvil's account ${i} is ${accts[i]}, not ${w[i].address}: another mnemonic?`);
  if (w.length < 6) throw new Error(`anvil has ${w.length} accounts, need 6`);
  return w;
}

// Signs locally and sends raw; nonces are tracked here (pending nonce at start).
class Sender {
  constructor(chainId, ws) { this.chainId = chainId; this.ws = ws; this.nonce = new Map(); }
  async nextNonce(w) {
    const a = lower(w.address);
    if (!this.nonce.has(a)) this.nonce.set(a, BigInt(await rpc('eth_getTransactionCount', [a, 'pending'])));
    const n = this.nonce.get(a);
    this.nonce.set(a, n + 1n);
    return n;
  }
  // tx: {type, to, value, data, gasLimit, gasPrice | maxFeePerGas/maxPriorityFeePerGas, accessList}
  async sign(w, tx) {
    const t = {chainId: this.chainId, nonce: Number(await this.nextNonce(w)), gasLimit: tx.gasLimit ?? 600000n,
      to: tx.to ?? null, value: tx.value ?? 0n, data: tx.data ?? '0x', type: tx.type ?? 2};
    if (t.type === 2) {
      t.maxFeePerGas = tx.maxFeePerGas ?? 4n * GWEI;
      t.maxPriorityFeePerGas = tx.maxPriorityFeePerGas ?? GWEI;
    } else {
      t.gasPrice = tx.gasPrice ?? 3n * GWEI;
      if (t.type === 1) t.accessList = tx.accessList ?? [];
    }
    return w.signTransaction(t);
  }
  async send(w, tx) { return rpc('eth_sendRawTransaction', [await this.sign(w, tx)]); }
}

async function receipt(h) {
  for (let i = 0; i < 500; i++) {
    const r = await rpc('eth_getTransactionReceipt', [h]);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no receipt for ${h}`);
}
// send and wait for the receipt; want = '0x1' (success) or '0x0' (reverted)
async function mined(hp, want = '0x1') {
  const h = await hp;
  const r = await receipt(h);
  if (r.status !== want) throw new Error(`tx ${h}: status ${r.status}, expected ${want}`);
  return r;
}

// Every account a stretch of the chain touches: tx from/to/created, every callTracer
// frame's from/to, Transfer/Deposit/Withdrawal log parties, the miner.
async function walk(from, to, seen, txs) {
  const transfer = ethers.id('Transfer(address,address,uint256)');
  const single = ethers.id('TransferSingle(address,address,address,uint256,uint256)');
  const batch = ethers.id('TransferBatch(address,address,address,uint256[],uint256[])');
  const topicAddr = (t) => lower('0x' + t.slice(26));
  const visit = (f) => {
    if (f.from) seen.add(lower(f.from));
    if (f.to) seen.add(lower(f.to));
    for (const c of f.calls || []) visit(c);
  };
  for (let n = from; n <= to; n++) {
    const b = await rpc('eth_getBlockByNumber', [hex(n), true]);
    seen.add(lower(b.miner));
    const rs = await rpc('eth_getBlockReceipts', [hex(n)]);
    const tr = await rpc('debug_traceBlockByNumber', [hex(n), {tracer: 'callTracer'}]);
    for (const tx of b.transactions) {
      txs.push(tx.hash);
      seen.add(lower(tx.from));
      if (tx.to) seen.add(lower(tx.to));
    }
    for (const r of rs) {
      if (r.contractAddress) seen.add(lower(r.contractAddress));
      for (const l of r.logs) {
        seen.add(lower(l.address));
        if (l.topics[0] === transfer && l.topics.length === 3) { seen.add(topicAddr(l.topics[1])); seen.add(topicAddr(l.topics[2])); }
        if ((l.topics[0] === single || l.topics[0] === batch) && l.topics.length === 4) { seen.add(topicAddr(l.topics[2])); seen.add(topicAddr(l.topics[3])); }
      }
    }
    for (const t of tr) visit(t.result);
  }
}

async function balances(seen, token, weth, C, tipTag, gem, ids) {
  const call = async (addr, iface, fn, args) =>
    iface.decodeFunctionResult(fn, await rpc('eth_call', [{to: addr, data: iface.encodeFunctionData(fn, args)}, tipTag]))[0];
  const accounts = {};
  for (const a of [...seen].sort()) {
    accounts[a] = {
      eth: BigInt(await rpc('eth_getBalance', [a, tipTag])).toString(),
      eth_genesis: BigInt(await rpc('eth_getBalance', [a, '0x0'])).toString(),
      token: (await call(token, C.Pebble.iface, 'balanceOf', [a])).toString(),
      weth: (await call(weth, C.Wrapped.iface, 'balanceOf', [a])).toString(),
    };
    // ERC-1155 units of all ids together (the store keeps one balance per contract)
    if (gem) {
      let g = 0n;
      for (const id of ids) g += await call(gem, C.Gem.iface, 'balanceOf', [a, BigInt(id)]);
      accounts[a].gem = g.toString();
    }
  }
  return accounts;
}

async function build(C, ws, S) {
  const scen = {};
  const details = {};
  const note = (name, h) => { (scen[name] = scen[name] || []).push(h); return h; };
  const payee = (i) => lower(ethers.getAddress('0x' + ethers.id(`chainsleuth evm-anvil payee ${i}`).slice(26)));
  const [w0, w1, w2, w3, w4, w5] = ws;
  const A = ws.map((w) => lower(w.address));

  // fees go to a miner of our own (anvil's default coinbase is the zero address,
  // which is also the Pebble mint's "from")
  const miner = payee('miner');
  await rpc('anvil_setCoinbase', [miner]);

  const deploy = async (w, name, args, value = 0n) => {
    const data = C[name].bytecode + C[name].iface.encodeDeploy(args).slice(2);
    const r = await mined(S.send(w, {data, value, gasLimit: 3000000n}));
    return {addr: lower(r.contractAddress), hash: r.transactionHash};
  };
  const tx = (w, addr, name, fn, args, opt = {}) =>
    S.send(w, {to: addr, data: C[name].iface.encodeFunctionData(fn, args), ...opt});

  const token = (await deploy(w0, 'Pebble', [10n ** 24n])).addr;
  const weth = (await deploy(w1, 'Wrapped', [])).addr;
  const hop = (await deploy(w2, 'Hop', [])).addr;
  const router = (await deploy(w2, 'Router', [hop])).addr;
  const factory = (await deploy(w3, 'Factory', [])).addr;

  // ETH transfers of the three tx types and one signed by the node
  note('legacy', (await mined(S.send(w0, {type: 0, to: A[1], value: ETHER / 2n, gasLimit: 21000n, gasPrice: 2n * GWEI}))).transactionHash);
  note('eip2930', (await mined(S.send(w1, {type: 1, to: payee(1), value: ETHER / 4n, gasLimit: 30000n, gasPrice: 2n * GWEI,
    accessList: [{address: token, storageKeys: [ethers.zeroPadValue('0x01', 32)]}]}))).transactionHash);
  note('eip1559', (await mined(S.send(w2, {type: 2, to: A[3], value: ETHER / 8n, gasLimit: 21000n,
    maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 3n * GWEI}))).transactionHash);
  note('node_signed', (await mined(rpc('eth_sendTransaction', [{from: A[4], to: payee(2), value: hex(10n ** 16n),
    maxFeePerGas: hex(3n * GWEI), maxPriorityFeePerGas: hex(GWEI / 2n)}]))).transactionHash);
  S.nonce.delete(A[4]); // the node used one of A[4]'s nonces

  // ERC-20: transfer, approve, transferFrom (w3 moves w0's tokens to a payee)
  note('erc20_transfer', (await mined(tx(w0, token, 'Pebble', 'transfer', [A[1], 5000n * ETHER]))).transactionHash);
  note('erc20_transfer', (await mined(tx(w1, token, 'Pebble', 'transfer', [payee(3), 1234n * ETHER]))).transactionHash);
  note('erc20_approve', (await mined(tx(w0, token, 'Pebble', 'approve', [A[3], 700n * ETHER]))).transactionHash);
  note('erc20_transferFrom', (await mined(tx(w3, token, 'Pebble', 'transferFrom', [A[0], payee(4), 300n * ETHER]))).transactionHash);

  // WETH-style wrap (deposit() and a plain send to receive()) and unwrap
  note('weth_deposit', (await mined(tx(w4, weth, 'Wrapped', 'deposit', [], {value: 3n * ETHER}))).transactionHash);
  note('weth_deposit', (await mined(S.send(w5, {to: weth, value: ETHER, gasLimit: 100000n}))).transactionHash);
  note('weth_withdraw', (await mined(tx(w4, weth, 'Wrapped', 'withdraw', [ETHER + 12345n]))).transactionHash);

  // a payment routed through two contracts: w5 -> Router -> Hop -> payee, for 3 payees
  const routePayees = [payee(5), payee(6), A[2]];
  note('route', (await mined(tx(w5, router, 'Router', 'pay', [routePayees], {value: 3n * ETHER + 7n}))).transactionHash);
  details.route = {router, hop, payees: routePayees};

  // creations with value: top-level, and from inside a call
  const pig = await deploy(w3, 'Piggy', [A[3], false], 2n * ETHER);
  note('create_with_value', pig.hash);
  const sp = await mined(tx(w4, factory, 'Factory', 'spawn', [A[4], false], {value: ETHER / 3n}));
  note('inner_create_with_value', sp.transactionHash);
  const spawned = lower(C.Factory.iface.parseLog(sp.logs[0]).args.piggy);
  // top up the first Piggy from the outside, then smash both (SELFDESTRUCT with value)
  await mined(S.send(w0, {to: pig.addr, value: ETHER / 10n, gasLimit: 50000n}));
  note('selfdestruct', (await mined(tx(w3, pig.addr, 'Piggy', 'smash', []))).transactionHash);
  note('selfdestruct', (await mined(tx(w4, spawned, 'Piggy', 'smash', []))).transactionHash);
  note('create_selfdestruct', (await mined(tx(w1, factory, 'Factory', 'spawn', [payee(7), true], {value: ETHER / 5n}))).transactionHash);
  details.selfdestruct = {piggies: [pig.addr, spawned], owners: [A[3], A[4]], beneficiary_at_creation: payee(7)};

  // a reverted tx that carries value (mined, status 0: only the fee is paid)
  note('reverted', (await mined(tx(w2, router, 'Router', 'refuse', [], {value: ETHER, gasLimit: 100000n}), '0x0')).transactionHash);
  // an ERC-20 transfer beyond the balance, also reverted
  note('reverted', (await mined(tx(w5, token, 'Pebble', 'transfer', [A[0], 10n ** 30n], {gasLimit: 100000n}), '0x0')).transactionHash);

  // the inner call reverts (try/catch and a low-level call), the outer succeeds
  note('inner_revert', (await mined(tx(w0, router, 'Router', 'tryPay', [payee(8)], {value: ETHER / 2n + 1n}))).transactionHash);
  details.inner_revert = {router, hop, payee: payee(8)};

  // one block with many txs of several senders, tips varied
  await rpc('evm_setAutomine', [false]);
  const batch = [];
  for (let k = 0; k < 8; k++) {
    const w = ws[k % 4];
    if (k === 5) batch.push(await tx(w, token, 'Pebble', 'transfer', [payee(9), 11n * ETHER], {maxPriorityFeePerGas: GWEI + BigInt(k)}));
    else batch.push(await S.send(w, {to: k % 2 ? payee(10 + k) : A[(k + 3) % 6], value: 10n ** 15n + BigInt(k), gasLimit: 21000n,
      type: k % 3, gasPrice: 2n * GWEI + BigInt(k), maxPriorityFeePerGas: GWEI + BigInt(k)}));
  }
  await rpc('evm_mine', []);
  await rpc('evm_setAutomine', [true]);
  for (const h of batch) { await mined(Promise.resolve(h)); note('batch', h); }

  // ERC-1155: mints (TransferSingle from the zero address), a single and a batch transfer
  const gem = (await deploy(w0, 'Gem', [])).addr;
  note('erc1155_mint', (await mined(tx(w0, gem, 'Gem', 'mint', [A[0], 1n, 100n]))).transactionHash);
  note('erc1155_mint', (await mined(tx(w0, gem, 'Gem', 'mint', [A[0], 2n ** 200n, 50n]))).transactionHash);
  note('erc1155_single', (await mined(tx(w0, gem, 'Gem', 'safeTransferFrom', [A[0], A[1], 1n, 7n, '0x']))).transactionHash);
  note('erc1155_batch', (await mined(tx(w0, gem, 'Gem', 'safeBatchTransferFrom', [A[0], payee(20), [1n, 2n ** 200n], [3n, 4n], '0x']))).transactionHash);
  details.erc1155 = {gem, ids: ['1', (2n ** 200n).toString()], single: [A[0], A[1], '1', '7'],
    batch: [[A[0], payee(20), '1', '3'], [A[0], payee(20), (2n ** 200n).toString(), '4']]};

  // address poisoning: w0 pays an address with the first and last 4 hex digits of
  // A[1] (w0 paid A[1] in 'legacy'), then pays A[1] itself again (no mark)
  const look = lower('0x' + A[1].slice(2, 6) + 'dead000000000000000000000000beef' + A[1].slice(-4));
  note('lookalike', (await mined(S.send(w0, {to: look, value: 1n, gasLimit: 21000n}))).transactionHash);
  note('not_lookalike', (await mined(S.send(w0, {to: A[1], value: 2n, gasLimit: 21000n}))).transactionHash);
  details.lookalike = {victim: A[0], real: A[1], fake: look};

  return {scen, details, token, weth, miner, gem, contracts: {Pebble: token, Wrapped: weth, Hop: hop, Router: router, Factory: factory, Gem: gem}};
}

async function reorg(C, ws, S, prev) {
  const tip = Number(await rpc('eth_blockNumber'));
  if (REORG > tip) throw new Error(`cannot reorg ${REORG} blocks of a chain of height ${tip}`);
  const forkPoint = tip - REORG;
  const old = [];
  await walk(forkPoint + 1, tip, new Set(), old);
  const A = ws.map((w) => lower(w.address));
  const alt = (i) => lower(ethers.getAddress('0x' + ethers.id(`chainsleuth evm-anvil reorg ${i}`).slice(26)));
  // the new branch's txs are signed against the fork point's nonces
  const S2 = new Sender(S.chainId, ws);
  for (const w of ws) S2.nonce.set(lower(w.address), BigInt(await rpc('eth_getTransactionCount', [lower(w.address), hex(forkPoint)])));
  const pairs = [];
  for (let b = 0; b < REORG; b++) {
    const salt = SAME ? 500n : 0n;
    pairs.push([await S2.sign(ws[b % 3], {type: b % 3, to: alt(b), value: ETHER / 7n + BigInt(b) + salt, gasLimit: 21000n, gasPrice: 2n * GWEI}), b]);
    pairs.push([await S2.sign(ws[3], {to: prev.token, data: C.Pebble.iface.encodeFunctionData('transfer', [alt(100 + b), 17n * ETHER + BigInt(b) + salt])}), b]);
  }
  await rpc('anvil_reorg', [REORG, pairs]);
  if (Number(await rpc('eth_blockNumber')) !== tip) throw new Error('anvil_reorg changed the height');
  // one more block on the new branch, unless the reorg is to keep the height
  let newTip = tip;
  if (!SAME) {
    const ext = await mined(S2.send(ws[5], {type: 2, to: alt(999), value: ETHER / 9n, gasLimit: 21000n}));
    newTip = Number(ext.blockNumber);
  }
  const txsNew = [];
  await walk(forkPoint + 1, newTip, new Set(), txsNew);
  for (const h of old) if (await rpc('eth_getTransactionByHash', [h])) throw new Error(`old-branch tx ${h} is still known to the node`);
  return {forkPoint, old, txsNew, newTip};
}

(async () => {
  const t0 = Date.now();
  const C = compile();
  const tCompile = (Date.now() - t0) / 1000;
  const chainId = Number(await rpc('eth_chainId'));
  const ws = await wallets();
  const S = new Sender(chainId, ws);
  fs.mkdirSync(OUT, {recursive: true});
  let res;
  if (HEIST !== null) {
    // the heist lives in heist.js; it shares this file's helpers
    const n = await require('./heist.js').play({rpc, hex, lower, C, ws, S, mined, receipt, ethers, GWEI, ETHER, OUT: HEIST});
    console.log(`make-chain: heist played, ${n} txs, truth in ${path.join(HEIST, 'heist-truth.json')}, ` +
      `${((Date.now() - t0) / 1000).toFixed(1)}s`);
  } else if (!REORG) {
    const b = await build(C, ws, S);
    const tip = Number(await rpc('eth_blockNumber'));
    const seen = new Set(ws.map((w) => lower(w.address)));
    const txs = [];
    await walk(0, tip, seen, txs);
    const tipBlock = await rpc('eth_getBlockByNumber', [hex(tip), false]);
    res = {chain_id: chainId, tip, tip_hash: tipBlock.hash, miner: b.miner, token: b.token, weth: b.weth,
      contracts: b.contracts, scenarios: b.scen, details: b.details, txs};
    res.token_total_supply = (10n ** 24n).toString();
    res.gem = b.gem;
    res.gem_minted = '150';
    res.accounts = await balances(seen, b.token, b.weth, C, hex(tip), b.gem, b.details.erc1155.ids);
    fs.writeFileSync(path.join(OUT, 'chain.json'), JSON.stringify(res, null, 1) + '\n');
    console.log(`make-chain: solc ${solc.version().split('+')[0]} (${tCompile}s), chain id ${chainId}, tip ${tip}, ` +
      `${txs.length} txs, ${Object.keys(res.accounts).length} accounts, ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  } else {
    const prev = JSON.parse(fs.readFileSync(path.join(OUT, 'chain.json'), 'utf8'));
    const r = await reorg(C, ws, S, prev);
    const seen = new Set(Object.keys(prev.accounts));
    const txs = [];
    await walk(0, r.newTip, seen, txs);
    const tipBlock = await rpc('eth_getBlockByNumber', [hex(r.newTip), false]);
    res = {chain_id: chainId, tip: r.newTip, tip_hash: tipBlock.hash, fork_point: r.forkPoint, miner: prev.miner,
      token: prev.token, weth: prev.weth, gem_minted: prev.gem_minted, old_txs: r.old, new_txs: r.txsNew, txs, token_total_supply: prev.token_total_supply};
    res.gem = prev.gem;
    res.accounts = await balances(seen, prev.token, prev.weth, C, hex(r.newTip), prev.gem, prev.details.erc1155.ids);
    fs.writeFileSync(path.join(OUT, SAME ? 'reorg-same.json' : 'reorg.json'), JSON.stringify(res, null, 1) + '\n');
    console.log(`make-chain: reorg of ${REORG} blocks at fork point ${r.forkPoint}: ${r.old.length} old txs dropped, ` +
      `${r.txsNew.length} new txs, new tip ${r.newTip}, ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
})().catch((e) => { console.error(`make-chain.js: ${e.stack || e}`); process.exit(1); });
