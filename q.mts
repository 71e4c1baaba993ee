import { deriveMaskKey, nodeCryptoProvider as crypto, seededRandom, unmaskRange, RingAccumulator, type UnmaskPlan } from '@fedtune/shared';
import { UnmaskPool } from './packages/coordinator/src/secagg/unmask-pool.ts';
const rng = seededRandom(crypto, 'x');
const pool = new UnmaskPool(2);
const plan = (m: number, t: number): UnmaskPlan => ({ bits: 32, vectorLength: m, chunkElements: 262144, survivors: [], terms: Array.from({ length: t }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `n${i}` }), sign: 1 as const })) });
await pool.unmask(plan(100000, 40), new Uint32Array(100000));
for (const [m, t] of [[1 << 20, 200], [100000, 1000], [1<<20, 1454]]) {
  const p = plan(m, t); const s = new RingAccumulator(m, 16).sum;
  let one = Infinity, two = Infinity;
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now(); unmaskRange(crypto, p, s, 0); one = Math.min(one, performance.now() - t0);
    t0 = performance.now(); await pool.unmask(p, s); two = Math.min(two, performance.now() - t0);
  }
  console.log(`m=${m} t=${t}: one ${one.toFixed(1)} ms (${(4*m*t/1e6/one).toFixed(0)} MB/ms.. ${(4*m*t/1e3/one).toFixed(0)} MB/s), pool ${two.toFixed(1)} ms, x${(one / two).toFixed(2)}`);
}
await pool.close();
