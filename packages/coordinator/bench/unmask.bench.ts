// Coordinator mask removal on worker threads vs one thread (m = 1M, 200 masks), measured after
// the pool's first use so worker start-up is excluded (it is paid once per coordinator).
import { CHUNK_ELEMENTS, deriveMaskKey, nodeCryptoProvider as crypto, seededRandom, unmaskRange, type UnmaskPlan } from '@fedtune/shared';
import { availableParallelism } from 'node:os';
import { UnmaskPool } from '../src/secagg/unmask-pool.js';
import type { BenchFn } from '../../../scripts/bench-types.js';

export const bench: BenchFn = async ({ tiny }) => {
  const rng = seededRandom(crypto, 'unmask-bench');
  const m = tiny ? 1 << 15 : 1 << 20;
  const terms = Array.from({ length: tiny ? 4 : 200 }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `p${i}` }), sign: 1 as const }));
  const plan: UnmaskPlan = { bits: 32, vectorLength: m, chunkElements: tiny ? 4096 : CHUNK_ELEMENTS, terms, survivors: [] };
  const pool = new UnmaskPool(availableParallelism());
  try {
    await pool.unmask(plan, new Uint32Array(m)); // start the workers
    const t0 = performance.now();
    unmaskRange(crypto, plan, new Uint32Array(m), 0);
    const one = performance.now() - t0;
    const t1 = performance.now();
    await pool.unmask(plan, new Uint32Array(m));
    const many = performance.now() - t1;
    return [
      { name: `unmask ${terms.length} masks of m=${m}: one thread`, value: Math.round(one), unit: 'ms' },
      { name: `unmask ${terms.length} masks of m=${m}: ${pool.size} worker threads`, value: Math.round(many), unit: 'ms' },
      { name: 'speed-up, workers vs one thread', value: Number((one / many).toFixed(2)), unit: 'ratio', note: `${pool.size} cores` },
    ];
  } finally {
    await pool.close();
  }
};
