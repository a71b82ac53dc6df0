// heist.js - a small Bybit-style heist played on a running anvil by
// `node make-chain.js URL --mnemonic M --heist OUTDIR` (tests/cli/t_evm_anvil_heist.sh
// plays it on a fresh anvil; it deploys its own contracts and uses keys of its own,
// so it would also run after the ordinary chain).
//
// The story (every step one mined tx unless said otherwise):
//   setup   the deployer (dev account 8) deploys Pebble, Pool, TcRouter; the relayer
//           (dev account 9) deploys Mixer; the deployer adds 200,000 PBL + 100 ETH of
//           liquidity and gives the cold wallet (dev account 6) 50,000 PBL; the OTC desk
//           (dev account 7) pays heist wallet 3 1.5 ETH before the heist (clean funds)
//   seeds   the cold wallet, its key stolen, sends 40 ETH and then all its 50,000 PBL to
//           the exploiter (a fresh key: it starts empty, its gas comes from the loot)
//   swap    the exploiter approves Pool and swaps the PBL for ETH (swapTokenForEth)
//   split   the exploiter pays 5 fresh wallets; the OTC desk pays wallet 3 0.7 ETH more
//   sinks   wallets 1 and 2 deposit through TcRouter (depositWithExpiry, memos; the
//           router forwards to the vault EOA in an inner call); wallet 3 pays an exchange
//           deposit EOA three times (the first leaves k wei of its clean ETH, k inside
//           the tip of that tx: FIFO takes the tip part clean, part tainted), and the
//           deposit forwards to the exchange hot wallet EOA; wallet 4
//           deposits 3 x 1 ETH into Mixer; the relayer withdraws one note to a fresh
//           address; wallet 5 keeps what it got (frontier)
//
// OUTDIR/heist-truth.json is recorded from the node after the play, not from the
// amounts above: per tx the receipt (status, gasUsed, effectiveGasPrice, logs), the
// block's baseFeePerGas, and the callTracer frames with value; from those the seeds,
// the ETH each heist wallet sent to each sink address, each heist wallet's fees, the
// swap's token in (Transfer log) and ETH out (Swap event and the inner CALL); balances
// by eth_getBalance / balanceOf at the tip and at block 0. OUTDIR/heist-tags.csv holds
// the tags (router and vault as bridge, mixer as mixer, deposit and hot wallet as
// exchange, the pool as defi). All addresses lower case, amounts decimal strings.
'use strict';
const fs = require('fs');
const path = require('path');

async function play(x) {
  const {rpc, hex, lower, C, ws, S, mined, ethers, GWEI, ETHER, OUT} = x;
  if (ws.length < 10) throw new Error(`anvil has ${ws.length} accounts, the heist needs 10`);
  const start = Number(await rpc('eth_blockNumber')) + 1;
  // fresh keys of our own (private key = keccak256 of a name)
  const fresh = (name) => new ethers.Wallet(ethers.id(`chainsleuth evm-anvil heist ${name}`));
  const addrOf = (name) => lower(fresh(name).address);
  const cold = ws[6], otc = ws[7], dep = ws[8], relayer = ws[9];
  const exploiter = fresh('exploiter');
  const hw = [1, 2, 3, 4, 5].map((i) => fresh(`wallet ${i}`));
  const exDeposit = fresh('exchange deposit');
  const exHot = addrOf('exchange hot wallet'), vault = addrOf('thorchain vault');
  const mixOut = addrOf('mixer withdrawal'), miner = addrOf('miner');
  await rpc('anvil_setCoinbase', [miner]);
  const A = (w) => lower(w.address);

  const hashes = [];
  const go = async (p, want) => { const r = await mined(p, want); hashes.push(r.transactionHash); return r; };
  const deploy = async (w, name, args) => {
    const data = C[name].bytecode + C[name].iface.encodeDeploy(args).slice(2);
    return lower((await go(S.send(w, {data, gasLimit: 3000000n}))).contractAddress);
  };
  const call = (w, addr, name, fn, args, opt = {}) =>
    S.send(w, {to: addr, data: C[name].iface.encodeFunctionData(fn, args), gasLimit: 300000n, ...opt});
  const view = async (addr, name, fn, args) =>
    C[name].iface.decodeFunctionResult(fn, await rpc('eth_call', [{to: addr, data: C[name].iface.encodeFunctionData(fn, args)}, 'latest']))[0];
  const pay = (w, to, value) => S.send(w, {to, value, gasLimit: 21000n});

  // ---- setup ----
  const token = await deploy(dep, 'Pebble', [10n ** 24n]);
  const pool = await deploy(dep, 'Pool', [token]);
  const router = await deploy(dep, 'TcRouter', []);
  const mixer = await deploy(relayer, 'Mixer', []);
  await go(call(dep, token, 'Pebble', 'approve', [pool, 200000n * ETHER]));
  await go(call(dep, pool, 'Pool', 'addLiquidity', [200000n * ETHER], {value: 100n * ETHER}));
  await go(call(dep, token, 'Pebble', 'transfer', [A(cold), 50000n * ETHER]));
  await go(pay(otc, A(hw[2]), 3n * ETHER / 2n));

  // ---- the seeds: the cold wallet drained ----
  const seedEth = (await go(pay(cold, A(exploiter), 40n * ETHER))).transactionHash;
  const loot = await view(token, 'Pebble', 'balanceOf', [A(cold)]);
  const seedTok = (await go(call(cold, token, 'Pebble', 'transfer', [A(exploiter), loot]))).transactionHash;

  // ---- swap the tokens for ETH ----
  await go(call(exploiter, token, 'Pebble', 'approve', [pool, loot]));
  const minOut = await view(pool, 'Pool', 'quote', [loot]);
  const swapTx = (await go(call(exploiter, pool, 'Pool', 'swapTokenForEth', [loot, minOut]))).transactionHash;

  // ---- split, and clean money into wallet 3 after its taint ----
  const split = [8n * ETHER, 6n * ETHER, 7n * ETHER, 7n * ETHER / 2n, 5n * ETHER];
  for (let i = 0; i < 5; i++) await go(pay(exploiter, A(hw[i]), split[i]));
  await go(pay(otc, A(hw[2]), 7n * ETHER / 10n));

  // ---- the sinks ----
  const now = BigInt((await rpc('eth_getBlockByNumber', ['latest', false])).timestamp);
  const memos = ['SWAP:BTC.BTC:bc1qchainsleuthheistone0000000000000000000', '=:ETH.USDT:0x00000000000000000000000000000000000000aa'];
  for (const [i, v] of [[0, 79n * ETHER / 10n], [1, 11n * ETHER / 2n]])
    await go(call(hw[i], router, 'TcRouter', 'depositWithExpiry', [vault, ethers.ZeroAddress, v, memos[i], now + 3600n], {value: v}));
  // wallet 3's first payment leaves k wei of its first (clean) OTC money, k half the
  // tip this legacy tx will pay: under FIFO the segment boundary then falls inside the
  // fee (the tip's first k wei clean, the rest and the burn tainted), so FIFO's fees
  // differ from LIFO's by k. The tip is predicted from the next block's base fee
  // (eth_feeHistory) and checked on the receipt.
  const fh = await rpc('eth_feeHistory', ['0x1', 'latest', []]);
  const nextBase = BigInt(fh.baseFeePerGas[fh.baseFeePerGas.length - 1]), price3 = 2n * GWEI;
  const k = (21000n * (price3 - nextBase)) / 2n;
  const r3 = await go(S.send(hw[2], {type: 0, to: A(exDeposit), value: 3n * ETHER / 2n - k, gasLimit: 21000n, gasPrice: price3}));
  const b3 = await rpc('eth_getBlockByNumber', [r3.blockNumber, false]);
  const tip3 = BigInt(r3.gasUsed) * (BigInt(r3.effectiveGasPrice) - BigInt(b3.baseFeePerGas));
  if (!(k > 0n && k < tip3)) throw new Error(`wallet 3's first payment: ${k} wei left of the clean funds, tip ${tip3}: not inside the tip`);
  await go(pay(hw[2], A(exDeposit), ETHER));
  await go(pay(hw[2], A(exDeposit), ETHER));
  await go(pay(exDeposit, exHot, 34n * ETHER / 10n));
  for (let k = 0; k < 3; k++)
    await go(call(hw[3], mixer, 'Mixer', 'deposit', [ethers.id(`chainsleuth heist note ${k}`)], {value: ETHER}));
  await go(call(relayer, mixer, 'Mixer', 'withdraw', [mixOut, ethers.id('chainsleuth heist nullifier 0')]));

  // ---- the truth, from the node ----
  const tip = Number(await rpc('eth_blockNumber'));
  const heist = [A(exploiter), ...hw.map(A)];
  const sinkAddr = {router, mixer, exchange_deposit: A(exDeposit)};
  const transferTopic = ethers.id('Transfer(address,address,uint256)');
  const swapTopic = C.Pool.iface.getEvent('Swap').topicHash;
  const topicAddr = (t) => lower('0x' + t.slice(26));
  const txs = [];
  for (let n = start; n <= tip; n++) {
    const b = await rpc('eth_getBlockByNumber', [hex(n), true]);
    for (const t of b.transactions) {
      const r = await rpc('eth_getTransactionReceipt', [t.hash]);
      const tr = await rpc('debug_traceTransaction', [t.hash, {tracer: 'callTracer'}]);
      const frames = [];
      // value moves in execution order (pre-order), those of reverted frames left out
      const visit = (f, depth, dead) => {
        dead = dead || !!f.error;
        const v = BigInt(f.value || '0x0');
        if (v > 0n && !dead) frames.push({depth, type: f.type, from: lower(f.from), to: lower(f.to), value: v.toString()});
        for (const c of f.calls || []) visit(c, depth + 1, dead);
      };
      visit(tr, 0, r.status !== '0x1');
      const gasUsed = BigInt(r.gasUsed), price = BigInt(r.effectiveGasPrice), base = BigInt(b.baseFeePerGas);
      const rec = {hash: t.hash, block: n, index: Number(t.transactionIndex), from: lower(t.from), to: lower(t.to),
        status: r.status, gas_used: gasUsed.toString(), effective_gas_price: price.toString(), base_fee: base.toString(),
        fee: (gasUsed * price).toString(), burn: (gasUsed * base).toString(), tip: (gasUsed * (price - base)).toString(),
        frames, token_transfers: [], swaps: []};
      for (const l of r.logs) {
        if (lower(l.address) === token && l.topics[0] === transferTopic)
          rec.token_transfers.push({from: topicAddr(l.topics[1]), to: topicAddr(l.topics[2]), value: BigInt(l.data).toString()});
        if (lower(l.address) === pool && l.topics[0] === swapTopic) {
          const e = C.Pool.iface.parseLog(l).args;
          rec.swaps.push({trader: lower(e.trader), token_in: e.tokenIn.toString(), eth_out: e.ethOut.toString()});
        }
      }
      txs.push(rec);
    }
  }
  const byHash = Object.fromEntries(txs.map((t) => [t.hash, t]));
  const one = (arr, what) => { if (arr.length !== 1) throw new Error(`${what}: ${arr.length} found, want 1`); return arr[0]; };
  const sEth = one(byHash[seedEth].frames, 'the ETH seed tx value moves');
  const sTok = one(byHash[seedTok].token_transfers, 'the token seed tx transfers');
  const sw = byHash[swapTx];
  const swEv = one(sw.swaps, 'Swap events');
  const swIn = one(sw.token_transfers, 'the swap tx token transfers');
  const swCall = one(sw.frames.filter((f) => f.from === pool), 'the pool\'s ETH payments in the swap');
  const sinks = {}, fees = {}, tipSum = {}, burnSum = {};
  for (const [k, a] of Object.entries(sinkAddr)) {
    sinks[k] = {address: a, from: {}};
    for (const t of txs) for (const f of t.frames)
      if (f.to === a && heist.includes(f.from)) sinks[k].from[f.from] = (BigInt(sinks[k].from[f.from] || 0) + BigInt(f.value)).toString();
  }
  for (const h of heist) {
    const mine = txs.filter((t) => t.from === h);
    fees[h] = mine.reduce((s, t) => s + BigInt(t.fee), 0n).toString();
    tipSum[h] = mine.reduce((s, t) => s + BigInt(t.tip), 0n).toString();
    burnSum[h] = mine.reduce((s, t) => s + BigInt(t.burn), 0n).toString();
  }
  const roles = {cold: A(cold), otc: A(otc), deployer: A(dep), relayer: A(relayer), exploiter: A(exploiter),
    wallets: hw.map(A), exchange_deposit: A(exDeposit), exchange_hot: exHot, vault, mixer_withdrawal: mixOut, miner};
  const balances = {};
  const everyone = new Set([...heist, A(cold), A(otc), A(exDeposit), exHot, vault, mixOut, miner, router, mixer, pool]);
  for (const a of [...everyone].sort())
    balances[a] = {eth: BigInt(await rpc('eth_getBalance', [a, hex(tip)])).toString(),
      eth_genesis: BigInt(await rpc('eth_getBalance', [a, '0x0'])).toString(),
      token: (await view(token, 'Pebble', 'balanceOf', [a])).toString()};
  const tags = [
    [router, 'THORChain Router', 'bridge'], [vault, 'THORChain Vault', 'bridge'], [mixer, 'Mixer 1 ETH', 'mixer'],
    [A(exDeposit), 'CEX', 'exchange'], [exHot, 'CEX', 'exchange'], [pool, 'Pebble Pool', 'defi']];
  const csv = 'address,label,category,source,confidence,chain\n' +
    tags.map(([a, l, c]) => `${a},${l},${c},anvil-heist,100,devnet\n`).join('');
  fs.writeFileSync(path.join(OUT, 'heist-tags.csv'), csv);
  const truth = {chain_id: Number(await rpc('eth_chainId')), first_block: start, tip,
    tip_hash: (await rpc('eth_getBlockByNumber', [hex(tip), false])).hash,
    token, contracts: {Pebble: token, Pool: pool, TcRouter: router, Mixer: mixer}, roles, heist_wallets: heist,
    seeds: {eth: {tx: seedEth, from: sEth.from, to: sEth.to, value: sEth.value},
      token: {tx: seedTok, from: sTok.from, to: sTok.to, value: sTok.value}},
    swap: {tx: swapTx, holder: sw.from, token_in: swIn.value, token_in_to: swIn.to, eth_out_event: swEv.eth_out,
      eth_out_call: swCall.value, eth_out_call_to: swCall.to},
    sinks, fees, fee_tips: tipSum, fee_burns: burnSum, balances,
    tags: tags.map(([address, label, category]) => ({address, label, category})), tags_csv: 'heist-tags.csv', txs};
  fs.writeFileSync(path.join(OUT, 'heist-truth.json'), JSON.stringify(truth, null, 1) + '\n');
  return txs.length;
}

module.exports = {play};
