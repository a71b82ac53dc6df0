// make-chain.js - drive a running fixture node (see ../start) to build a
// Bitcoin regtest chain out of real bcoin wallets, then export it with truth.
//
// Usage: node make-chain.js DATADIR OUTDIR --blocks N [--tx-per-block K] [--seed S]
//
// Chain shape (bcoin regtest: coinbase maturity 100, halving every 150 blocks,
// segwit by BIP9 signalling, ACTIVE for block 432; mempool takes witness
// spends once the tip is at 432):
//   1..100      bootstrap: coinbases to the miner only.
//   101..~432   pre-segwit era: the miner pays batches out to everybody
//               (witness addresses can already receive), legacy users and the
//               P2SH multisig pay each other at about K/8 tx per block.
//   then N      segwit era blocks with about K wallet transactions each, every
//               wallet type spending.
// So the tip height is (first block after segwit activation) + N, about 432 + N.
//
// Determinism: every choice (who pays whom, how much, fee rate, address reuse,
// OP_RETURN, ...) comes from a PRNG seeded with S, and wallet master keys are
// derived from S, so the same seed gives the same addresses and the same
// sequence of actions. Block timestamps, and with them block hashes, differ
// between runs.
//
// Output (see ../README.md): OUTDIR/blocks/blk00000.dat and OUTDIR/truth/{owners.csv,
// owners_h160.csv, chain.json, node-decoding.jsonl, generator.json}.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {HDPrivateKey, Address, Script} = require('bcoin');
const {readEnv, rpc, walletClient} = require('./http');

const NETWORK = 'regtest';
const REGTEST_MAGIC = Buffer.from('fabfb5da', 'hex'); // pchMessageStart, as Core
const COINBASE_MATURITY = 100;
const MIN_OUTPUT = 10000; // sat; far above dust at any fee rate used here

// ---------------------------------------------------------------- arguments

function usage(msg) {
  if (msg)
    console.error(`make-chain: ${msg}`);
  console.error('usage: make-chain DATADIR OUTDIR --blocks N [--tx-per-block K] [--seed S]');
  process.exit(2);
}

function parseArgs(argv) {
  const pos = [];
  const opt = {blocks: null, txPerBlock: 10, seed: 1};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name, min, max) => {
      const v = argv[++i];
      if (v === undefined || !/^[0-9]+$/.test(v))
        usage(`${name} needs a non-negative integer`);
      const n = parseInt(v, 10);
      if (n < min || n > max)
        usage(`${name} must be in ${min}..${max}`);
      return n;
    };
    if (a === '--blocks') opt.blocks = num(a, 1, 100000);
    else if (a === '--tx-per-block') opt.txPerBlock = num(a, 0, 500);
    else if (a === '--seed') opt.seed = num(a, 0, 0xffffffff);
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length !== 2)
    usage('need DATADIR and OUTDIR');
  if (opt.blocks === null)
    usage('--blocks is required');
  return {datadir: pos[0], outdir: pos[1], ...opt};
}

// ---------------------------------------------------------------- PRNG
// xoshiro128** over 32-bit lanes, seeded through splitmix32 so that small
// consecutive seeds give unrelated streams.

class Rng {
  constructor(seed) {
    let x = seed >>> 0;
    const splitmix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = [splitmix(), splitmix(), splitmix(), splitmix()];
  }

  u32() {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    for (let i = 0; i < 4; i++) s[i] >>>= 0;
    return r;
  }

  float() { return this.u32() / 4294967296; }
  int(n) { return Math.floor(this.float() * n); }          // 0..n-1
  range(lo, hi) { return lo + this.int(hi - lo + 1); }      // lo..hi
  chance(p) { return this.float() < p; }
  pick(a) { return a[this.int(a.length)]; }
  // Log-uniform: fee rates and amounts spread over orders of magnitude.
  logUniform(lo, hi) { return Math.floor(Math.exp(Math.log(lo) + this.float() * Math.log(hi / lo))); }
  weighted(items, weightOf) {
    let total = 0;
    for (const it of items) total += weightOf(it);
    let r = this.float() * total;
    for (const it of items) { r -= weightOf(it); if (r < 0) return it; }
    return items[items.length - 1];
  }
}

function rotl(x, k) { return ((x << k) | (x >>> (32 - k))) >>> 0; }

// ---------------------------------------------------------------- entities
// An entity is who owns coins in the truth files: one wallet, or a 2-of-3
// group of three cosigner wallets sharing one account (wallet "<group>-1"
// builds and signs first, "-2" or "-3" adds the second signature).
//   witness: wallet derives P2WPKH / P2WSH addresses (and can nest them in P2SH)
//   nested:  probability that a receive address is the P2SH-nested form
//   selection / sort: bcoin coin selection mode and BIP69 sorting (sort:false
//            keeps payments first and the change output last). These are
//            wallet "software settings" and differ per user on purpose.
//   weight:  how often the entity pays someone

const ENTITIES = [
  {name: 'miner', kind: 'miner', witness: false, nested: 0, selection: 'age', sort: true, weight: 0},
  {name: 'alice', kind: 'user', witness: false, nested: 0, selection: 'age', sort: false, weight: 3},
  {name: 'bob', kind: 'user', witness: false, nested: 0, selection: 'value', sort: true, weight: 3},
  {name: 'carol', kind: 'user', witness: false, nested: 0, selection: 'age', sort: true, weight: 2},
  {name: 'dave', kind: 'user', witness: false, nested: 0, selection: 'value', sort: false, weight: 2},
  {name: 'erin', kind: 'user', witness: true, nested: 0.4, selection: 'value', sort: true, weight: 3},
  {name: 'frank', kind: 'user', witness: true, nested: 0, selection: 'age', sort: true, weight: 3},
  {name: 'grace', kind: 'user', witness: true, nested: 1, selection: 'value', sort: false, weight: 2},
  {name: 'vault', kind: 'multisig', witness: false, nested: 0, selection: 'value', sort: true, weight: 1.5,
   members: ['vault-1', 'vault-2', 'vault-3']},
  {name: 'treasury', kind: 'multisig', witness: true, nested: 0.3, selection: 'value', sort: true, weight: 1.5,
   members: ['treasury-1', 'treasury-2', 'treasury-3']}
];
for (const e of ENTITIES) {
  e.builder = e.members ? e.members[0] : e.name;
  e.paidAddresses = []; // addresses that received a confirmed-or-pending payment (for reuse)
}
const byName = new Map(ENTITIES.map(e => [e.name, e]));
const MINER = byName.get('miner');

// ---------------------------------------------------------------- helpers

const sleep = ms => new Promise(r => setTimeout(r, ms));
const now = () => Date.now();
const secs = ms => (ms / 1000).toFixed(1);

function masterKey(seed, walletId) {
  const h = crypto.createHash('sha256').update(`chainsleuth btc-regtest fixture/${seed}/${walletId}`).digest();
  return HDPrivateKey.fromSeed(h).toBase58(NETWORK);
}

function scriptHexOf(address) {
  return Script.fromAddress(Address.fromString(address, NETWORK)).toRaw().toString('hex');
}

class Generator {
  constructor(env, opt) {
    this.env = env;
    this.opt = opt;
    this.rng = new Rng(opt.seed);
    this.wc = walletClient(env);
    this.height = 0;
    this.coinbaseAddr = null;
    this.coinbaseLeft = 0;
    this.pending = new Map(); // txid sent since the last block -> wallets it touches
    this.stats = {sent: 0, failed: 0, multisig: 0, payouts: 0, consolidations: 0, sweeps: 0,
                  opReturns: 0, failures: {}};
  }

  rpc(method, params) { return rpc(this.env, method, params); }
  wallet(id) { return this.wc.wallet(id); }

  async createWallets() {
    for (const e of ENTITIES) {
      const ids = e.members || [e.name];
      let created = false;
      for (const id of ids) {
        const opts = {witness: e.witness, master: masterKey(this.opt.seed, id)};
        if (e.members) Object.assign(opts, {type: 'multisig', m: 2, n: 3});
        try {
          await this.wc.createWallet(id, opts);
          created = true;
        } catch (err) {
          if (!/exists/i.test(err.message))
            throw err;
        }
      }
      if (e.members && created) {
        const keys = {};
        for (const id of ids) keys[id] = (await this.wallet(id).getAccount('default')).accountKey;
        for (const id of ids)
          for (const other of ids)
            if (other !== id)
              await this.wallet(id).addSharedKey('default', keys[other]);
      }
    }
  }

  // A receive address of entity e: fresh most of the time, sometimes one it
  // was already paid on (address reuse, as donation/deposit addresses get).
  async receiveAddress(e, allowNested) {
    if (e.paidAddresses.length > 0 && this.rng.chance(0.12))
      return this.rng.pick(e.paidAddresses);
    const w = this.wallet(e.builder);
    const nested = allowNested && e.witness && this.rng.chance(e.nested);
    const key = nested ? await w.createNested('default') : await w.createAddress('default');
    return key.address;
  }

  // Wallet reads can race the wallet's asynchronous block indexing even after
  // the block record is visible (bcoin then answers "assert(credit)"): retry.
  async walletRead(fn) {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i >= 40 || !/assert/.test(err.message))
          throw err;
        this.stats.readRetries = (this.stats.readRetries || 0) + 1;
        await sleep(25);
      }
    }
  }

  // Confirmed, mature coins of e: {value, count}. (All accounts: one range
  // scan, rather than the per-account index plus a lookup per coin.)
  async spendable(e) {
    const coins = await this.walletRead(() => this.wallet(e.builder).getCoins());
    let value = 0;
    let count = 0;
    for (const c of coins) {
      if (c.height <= 0)
        continue;
      if (c.coinbase && this.height + 1 - c.height < COINBASE_MATURITY)
        continue;
      value += c.value;
      count++;
    }
    return {value, count};
  }

  feeRate() {
    // sat/kvB as bcoin takes it; mostly cheap, sometimes urgent. Not below
    // 1,200: bcoin estimates the size before signing, and at exactly the
    // 1,000 sat/kvB relay minimum a tx whose signatures came out longer is
    // refused ("insufficient priority").
    return this.rng.chance(0.1) ? this.rng.range(20000, 60000) : this.rng.logUniform(1200, 20000);
  }

  amount(max) {
    let v = Math.max(MIN_OUTPUT, Math.floor(max));
    // Many real payments are fiat-like round amounts (power-of-ten heuristic).
    if (this.rng.chance(0.3)) {
      const unit = this.rng.pick([100000, 1000000, 10000000]);
      if (v >= unit) v = Math.floor(v / unit) * unit;
    }
    return v;
  }

  fail(what, err) {
    this.stats.failed++;
    const key = `${what}: ${err.message.replace(/[0-9a-f]{64}/g, '<hash>').slice(0, 80)}`;
    this.stats.failures[key] = (this.stats.failures[key] || 0) + 1;
  }

  // Pay `outputs` from entity e. Multisig: cosigner 1 funds and signs, a
  // random second cosigner signs, the node relays.
  async pay(e, outputs, extra = {}) {
    const opts = {outputs, rate: extra.rate || this.feeRate(), depth: 1,
                  selection: extra.selection || e.selection};
    if (extra.subtractFee) opts.subtractFee = true;
    if (!e.members) {
      opts.sort = e.sort;
      const tx = await this.wallet(e.name).send(opts);
      return tx.hash;
    }
    const part = await this.wallet(e.builder).createTX(opts);
    const cosigner = e.members[1 + this.rng.int(2)];
    const full = await this.wallet(cosigner).sign({tx: part.hex});
    // bcoin's sendrawtransaction answers with the txid before the mempool has
    // looked at the tx, and also when the mempool rejects it: poll.
    await this.rpc('sendrawtransaction', [full.hex]);
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      try {
        await this.rpc('getmempoolentry', [full.hash]);
        ok = true;
      } catch (err) {
        await sleep(10);
      }
    }
    if (!ok)
      throw new Error('multisig tx not accepted by the mempool (see regtest/debug.log)');
    // The builder must see its coins spent before it selects coins again.
    for (let i = 0; i < 200; i++) {
      if (await this.wallet(e.builder).getTX(full.hash))
        break;
      await sleep(10);
    }
    this.stats.multisig++;
    return full.hash;
  }

  async mine() {
    if (this.coinbaseLeft <= 0) {
      // Pools reuse a payout address for a while, then rotate.
      this.coinbaseAddr = (await this.wallet('miner').createAddress('default')).address;
      this.coinbaseLeft = this.rng.range(5, 40);
    }
    this.coinbaseLeft--;
    // The wallet hands a sent tx to the mempool without waiting for it, so a
    // block mined at once could miss it: wait until all are in the mempool.
    if (this.pending.size > 0) {
      for (let i = 0; ; i++) {
        const pool = new Set(await this.rpc('getrawmempool', []));
        const missing = [...this.pending.keys()].filter(h => !pool.has(h));
        if (missing.length === 0)
          break;
        if (i >= 300) {
          // Relayed by the wallet but refused by the mempool (the reason is
          // in regtest/debug.log): it never confirms. Count it as failed.
          // Abandon it in its wallets so that its coins become spendable again.
          for (const h of missing) {
            for (const w of this.pending.get(h)) {
              try { await this.wc.del(`/wallet/${w}/tx/${h}`); } catch (err) { /* not there */ }
            }
            this.pending.delete(h);
            console.error(`make-chain: tx ${h} did not reach the mempool, abandoned`);
          }
          this.stats.notInMempool = (this.stats.notInMempool || 0) + missing.length;
          this.stats.sent -= missing.length;
          this.stats.failed += missing.length;
          break;
        }
        await sleep(10);
      }
    }
    const [hash] = await this.rpc('generatetoaddress', [1, this.coinbaseAddr]);
    this.height++;
    // The wallets index the block asynchronously, one tx after another in
    // block order and, per tx, one wallet after another. Coin lists are only
    // current (and the run only reproducible) once the block's last tx is
    // confirmed in every wallet it touches; the coinbase (first tx, miner)
    // covers empty blocks.
    const txids = (await this.rpc('getblock', [hash, 1])).tx;
    const last = txids[txids.length - 1];
    const checks = [['miner', txids[0]]];
    if (this.pending.has(last))
      for (const w of this.pending.get(last)) checks.push([w, last]);
    for (const [w, txid] of checks) {
      for (let i = 0; ; i++) {
        const tx = await this.wallet(w).getTX(txid);
        if (tx && tx.height === this.height)
          break;
        if (i > 2000)
          throw new Error(`wallet ${w} did not index ${txid} in block ${this.height}`);
        await sleep(5);
      }
    }
    for (const txid of txids) this.pending.delete(txid);
    return hash;
  }

  // Miner pays out to 3..12 recipients (a pool payout batch).
  async payout() {
    const avail = await this.spendable(MINER);
    if (avail.value < 10 * 1e8)
      return;
    const n = this.rng.range(3, 12);
    const outputs = [];
    const people = ENTITIES.filter(e => e !== MINER);
    for (let i = 0; i < n; i++) {
      const to = this.rng.weighted(people, p => (p.kind === 'multisig' ? 0.5 : 1));
      const value = this.amount(this.rng.logUniform(2e6, 3e8));
      outputs.push({to, address: await this.receiveAddress(to, true), value});
    }
    await this.send(MINER, outputs, {}, 'payout');
    this.stats.payouts++;
  }

  // One user/multisig action: a payment, a consolidation or a sweep.
  async action(segwit) {
    const senders = ENTITIES.filter(e => e.weight > 0 && (segwit || !e.witness));
    const from = this.rng.weighted(senders, e => e.weight);
    const avail = await this.spendable(from);
    if (avail.value < 200000)
      return;
    const r = this.rng.float();
    if (r < 0.04 && avail.count >= 4 && !from.members) {
      // Consolidation: all confirmed coins into one fresh own address.
      const address = (await this.wallet(from.builder).createAddress('default')).address;
      await this.send(from, [{to: from, address, value: avail.value}],
                      {selection: 'all', subtractFee: true, rate: this.rng.range(1200, 3000)},
                      'consolidation');
      this.stats.consolidations++;
      return;
    }
    if (r < 0.06 && !from.members) {
      // Sweep everything to someone else: one output, no change.
      const to = this.rng.pick(ENTITIES.filter(e => e !== from && e !== MINER));
      await this.send(from, [{to, address: await this.receiveAddress(to, segwit), value: avail.value}],
                      {selection: 'all', subtractFee: true}, 'sweep');
      this.stats.sweeps++;
      return;
    }
    // Payment: 1-3 recipients (sometimes a batch of up to 8). A "big" payment
    // takes most of the balance and so pulls in many inputs.
    const n = this.rng.chance(0.05) ? this.rng.range(4, 8) : this.rng.range(1, 3);
    const big = this.rng.chance(0.15);
    const budget = avail.value * 0.9;
    const outputs = [];
    for (let i = 0; i < n; i++) {
      const to = this.rng.weighted(ENTITIES.filter(e => e !== from && e !== MINER),
                                   e => (e.kind === 'multisig' ? 0.6 : 1));
      const frac = big ? (0.5 + 0.4 * this.rng.float()) / n : 0.002 + 0.08 * this.rng.float();
      outputs.push({to, address: await this.receiveAddress(to, segwit), value: this.amount(budget * frac)});
    }
    if (this.rng.chance(0.05)) {
      const tag = Buffer.from(`cs-fixture ${this.height} ${this.rng.u32().toString(16)}`);
      outputs.push({script: Buffer.concat([Buffer.from([0x6a, tag.length]), tag]).toString('hex'), value: 0});
      this.stats.opReturns++;
    }
    let total = 0;
    for (const o of outputs) total += o.value;
    if (total > budget)
      return;
    await this.send(from, outputs, {}, 'payment');
  }

  async send(from, outputs, extra, what) {
    const plain = outputs.map(o => (o.script ? {script: o.script, value: o.value}
                                             : {address: o.address, value: o.value}));
    let txid;
    try {
      txid = await this.pay(from, plain, extra);
    } catch (err) {
      this.fail(`${what} from ${from.name}`, err);
      return;
    }
    const wallets = new Set([from.builder]);
    for (const o of outputs)
      if (o.to) wallets.add(o.to.builder);
    this.pending.set(txid, wallets);
    // Each recipient wallet learns of the tx from the mempool asynchronously
    // and then advances its address depth; wait, or the next address it hands
    // out depends on timing.
    for (const w of wallets) {
      for (let i = 0; !(await this.wallet(w).getTX(txid)); i++) {
        if (i > 1000) {
          this.stats.slowIndex = (this.stats.slowIndex || 0) + 1;
          break;
        }
        await sleep(2);
      }
    }
    this.stats.sent++;
    for (const o of outputs)
      if (o.to && !o.to.paidAddresses.includes(o.address))
        o.to.paidAddresses.push(o.address);
  }

  async segwitStatus() {
    const info = await this.rpc('getblockchaininfo', []);
    return info.bip9_softforks.segwit.status;
  }

  async run() {
    const t = {start: now()};
    await this.createWallets();
    this.height = await this.rpc('getblockcount', []);
    if (this.height !== 0)
      throw new Error(`node is at height ${this.height}; make-chain needs a fresh DATADIR`);
    t.wallets = now();

    // 1..100: coinbases only.
    while (this.height < COINBASE_MATURITY)
      await this.mine();
    t.bootstrap = now();
    console.error(`make-chain: bootstrap to ${this.height} in ${secs(t.bootstrap - t.wallets)} s`);

    // Pre-segwit era. getblockchaininfo reports segwit "active" for the block
    // after the tip; the mempool takes witness spends once that block exists.
    const preRate = this.opt.txPerBlock / 8;
    let activeAt = -1;
    while (activeAt < 0 || this.height <= activeAt) {
      if (this.rng.chance(0.5))
        await this.payout();
      const k = Math.floor(preRate + this.rng.float());
      for (let i = 0; i < k; i++)
        await this.action(false);
      await this.mine();
      if (activeAt < 0 && (await this.segwitStatus()) === 'active')
        activeAt = this.height;
      if (this.height > 2000)
        throw new Error('segwit never activated');
    }
    this.segwitHeight = activeAt + 1;
    t.presegwit = now();
    console.error(`make-chain: pre-segwit era to ${this.height} (segwit from block ${this.segwitHeight}), ` +
                  `${this.stats.sent} tx, ${secs(t.presegwit - t.bootstrap)} s`);

    const target = this.height + this.opt.blocks;
    const K = this.opt.txPerBlock;
    while (this.height < target) {
      if (this.rng.chance(0.3))
        await this.payout();
      const k = Math.max(0, Math.round(K * (0.6 + 0.8 * this.rng.float())));
      for (let i = 0; i < k; i++)
        await this.action(true);
      await this.mine();
      if (this.height % 50 === 0)
        console.error(`make-chain: height ${this.height}/${target}, sent ${this.stats.sent}, ` +
                      `failed ${this.stats.failed}, ${secs(now() - t.presegwit)} s`);
    }
    t.economy = now();
    this.stats.mempoolLeft = (await this.rpc('getrawmempool', [])).length;
    this.timing = {
      wallets_s: (t.wallets - t.start) / 1000,
      bootstrap_s: (t.bootstrap - t.wallets) / 1000,
      presegwit_s: (t.presegwit - t.bootstrap) / 1000,
      segwit_era_s: (t.economy - t.presegwit) / 1000
    };
    console.error(`make-chain: generated tip ${this.height} in ${secs(t.economy - t.start)} s: ` +
                  `sent ${this.stats.sent} (multisig ${this.stats.multisig}, payouts ${this.stats.payouts}), ` +
                  `failed ${this.stats.failed}, left in mempool ${this.stats.mempoolLeft}`);
  }
}

// ---------------------------------------------------------------- export

// Write the active chain 0..tip in Core's blk framing, the node's verbose
// decoding per block, and recompute the UTXO set from that decoding.
async function exportChain(env, outdir) {
  const blocksDir = path.join(outdir, 'blocks');
  const truthDir = path.join(outdir, 'truth');
  fs.mkdirSync(blocksDir, {recursive: true});
  fs.mkdirSync(truthDir, {recursive: true});
  const blkPath = path.join(blocksDir, 'blk00000.dat');
  const blk = fs.openSync(blkPath + '.tmp', 'w');
  const dec = fs.openSync(path.join(truthDir, 'node-decoding.jsonl.tmp'), 'w');

  const tip = await rpc(env, 'getblockcount', []);
  const utxo = new Map(); // "txid:n" -> sat
  const outputScripts = new Set();
  let txs = 0;
  let bytes = 0;
  let tipHash = null;
  for (let h = 0; h <= tip; h++) {
    const hash = await rpc(env, 'getblockhash', [h]);
    const raw = Buffer.from(await rpc(env, 'getblock', [hash, 0]), 'hex');
    const verbose = await rpc(env, 'getblock', [hash, 1, 1]);
    if (verbose.hash !== hash || verbose.height !== h)
      throw new Error(`getblock ${hash}: node answered block ${verbose.hash} at ${verbose.height}`);
    const head = Buffer.alloc(8);
    REGTEST_MAGIC.copy(head, 0);
    head.writeUInt32LE(raw.length, 4);
    fs.writeSync(blk, head);
    fs.writeSync(blk, raw);
    bytes += 8 + raw.length;
    fs.writeSync(dec, JSON.stringify(verbose) + '\n');
    txs += verbose.tx.length;
    tipHash = hash;
    if (h === 0)
      continue; // the genesis coinbase is not spendable (Core and bcoin agree)
    for (const tx of verbose.tx) {
      for (const vin of tx.vin) {
        if (vin.coinbase !== undefined)
          continue;
        const key = `${vin.txid}:${vin.vout}`;
        if (!utxo.delete(key))
          throw new Error(`block ${h} tx ${tx.txid} spends unknown ${key}`);
      }
      for (const vout of tx.vout) {
        const spk = vout.scriptPubKey.hex;
        if (spk.startsWith('6a'))
          continue; // OP_RETURN: provably unspendable, never a UTXO
        utxo.set(`${tx.txid}:${vout.n}`, Math.round(vout.value * 1e8));
        outputScripts.add(spk);
      }
    }
  }
  fs.fsyncSync(blk);
  fs.closeSync(blk);
  fs.closeSync(dec);
  fs.renameSync(blkPath + '.tmp', blkPath);
  fs.renameSync(path.join(truthDir, 'node-decoding.jsonl.tmp'), path.join(truthDir, 'node-decoding.jsonl'));

  let utxoTotal = 0;
  for (const v of utxo.values()) utxoTotal += v;
  return {tip, tipHash, txs, bytes, utxoCount: utxo.size, utxoTotal, outputScripts};
}

// Every wallet address that appears in a confirmed transaction, from each
// wallet's own history (outputs the wallet recognises carry a derivation path).
async function collectOwners(wc, maxHeight) {
  const owners = new Map(); // address -> entity
  for (const e of ENTITIES) {
    const history = await wc.wallet(e.builder).getHistory('default');
    for (const tx of history) {
      if (tx.height < 0 || tx.height > maxHeight)
        continue; // unconfirmed (e.g. a tx the mempool refused)
      for (const member of tx.inputs.concat(tx.outputs)) {
        if (!member.path || !member.address)
          continue;
        const prev = owners.get(member.address);
        if (prev && prev !== e)
          throw new Error(`address ${member.address} claimed by ${prev.name} and ${e.name}`);
        owners.set(member.address, e);
      }
    }
  }
  return owners;
}

function writeTruth(outdir, owners, chain, gen) {
  const truthDir = path.join(outdir, 'truth');
  const rows = [...owners.entries()].map(([address, e]) => ({address, script: scriptHexOf(address), e}));
  rows.sort((a, b) => (a.e.name < b.e.name ? -1 : a.e.name > b.e.name ? 1 : a.address < b.address ? -1 : 1));
  const seenScripts = new Set(rows.map(r => r.script));

  // Every spendable output of the chain must belong to some wallet, except
  // the genesis P2PK (not in outputScripts: genesis is skipped) - otherwise
  // the truth is incomplete.
  const orphans = [...chain.outputScripts].filter(s => !seenScripts.has(s));
  if (orphans.length)
    throw new Error(`${orphans.length} output scripts owned by no wallet, e.g. ${orphans[0]}`);

  const csv = ['address,entity,entity_kind', ...rows.map(r => `${r.address},${r.e.name},${r.e.kind}`)];
  const h160 = ['script_hex,entity,entity_kind', ...rows.map(r => `${r.script},${r.e.name},${r.e.kind}`)];
  fs.writeFileSync(path.join(truthDir, 'owners.csv'), csv.join('\n') + '\n');
  fs.writeFileSync(path.join(truthDir, 'owners_h160.csv'), h160.join('\n') + '\n');
  fs.writeFileSync(path.join(truthDir, 'chain.json'), JSON.stringify({
    height: chain.tip, tip: chain.tipHash, txs: chain.txs,
    utxo_count: chain.utxoCount, utxo_total: chain.utxoTotal
  }) + '\n');
  fs.writeFileSync(path.join(truthDir, 'generator.json'), JSON.stringify(gen, null, 2) + '\n');
  return rows.length;
}

// ---------------------------------------------------------------- main

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const envFile = path.join(opt.datadir, 'rpc.env');
  if (!fs.existsSync(envFile))
    usage(`${envFile} not found: start the node first (start DATADIR)`);
  const env = readEnv(envFile);
  const t0 = now();

  const gen = new Generator(env, opt);
  await gen.run();
  const t1 = now();

  const chain = await exportChain(env, opt.outdir);
  const t2 = now();

  // The node's own numbers: bcoin keeps a running chainstate (tx count, coin
  // count, coin value) that gettxoutsetinfo reports. They must agree with the
  // UTXO set recomputed from the node's verbose decoding.
  const info = await rpc(env, 'gettxoutsetinfo', []);
  const nodeTotal = Math.round(info.total_amount * 1e8);
  if (info.height !== chain.tip || info.bestblock !== chain.tipHash || info.transactions !== chain.txs ||
      info.txouts !== chain.utxoCount || nodeTotal !== chain.utxoTotal) {
    throw new Error(`gettxoutsetinfo ${JSON.stringify(info)} disagrees with the decoding: ` +
                    `tip ${chain.tip} ${chain.tipHash}, txs ${chain.txs}, utxos ${chain.utxoCount} ` +
                    `= ${chain.utxoTotal} sat`);
  }
  const owners = await collectOwners(gen.wc, chain.tip);
  const t3 = now();
  const nOwners = writeTruth(opt.outdir, owners, chain, {
    bcoin: require('bcoin/package.json').version,
    seed: opt.seed, blocks: opt.blocks, tx_per_block: opt.txPerBlock,
    segwit_height: gen.segwitHeight,
    chain_source: 'height/tip/txs/utxo_count/utxo_total from gettxoutsetinfo (bcoin chainstate), ' +
                  'equal to the UTXO set recomputed from getblock verbose decoding',
    stats: gen.stats,
    timing: {...gen.timing, generate_s: (t1 - t0) / 1000, export_s: (t2 - t1) / 1000,
             truth_s: (t3 - t2) / 1000},
    wallets: ENTITIES.map(e => ({entity: e.name, kind: e.kind, wallets: e.members || [e.name],
                                 witness: e.witness, nested: e.nested, selection: e.selection,
                                 bip69: e.sort}))
  });
  const t4 = now();
  console.log(`make-chain: tip ${chain.tip} ${chain.tipHash}, ${chain.txs} txs, ` +
              `${chain.utxoCount} utxos = ${chain.utxoTotal} sat, ${nOwners} owned addresses, ` +
              `blk ${chain.bytes} bytes`);
  console.log(`make-chain: timing: generate ${secs(t1 - t0)} s, export ${secs(t2 - t1)} s, ` +
              `truth ${secs(t4 - t2)} s, total ${secs(t4 - t0)} s`);
}

main().catch((err) => {
  console.error(`make-chain: ${err.stack || err.message}`);
  process.exit(1);
});
