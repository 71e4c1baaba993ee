// Coordinator mask removal on worker threads vs one thread (m = 1M, 200 masks), measured after
// the pool's first use so worker start-up is excluded (it is paid once per coordinator); then the
// whole removal of a real round's masks for n = 500 on the pool: survivors' self masks plus the
// pairwise masks of dropped nodes with their live neighbours in a SecAgg+ graph (chooseGraphParams,
// hararyGraph), at 0%, 10% and 30% dropout.
import {
  CHUNK_ELEMENTS, chooseGraphParams, deriveMaskKey, hararyGraph, nodeCryptoProvider as crypto, seededRandom, unmaskRange, type UnmaskPlan, type UnmaskTerm,
} from '@fedtune/shared';
import { availableParallelism } from 'node:os';
import { UnmaskPool } from '../src/secagg/unmask-pool.js';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';

const rng = seededRandom(crypto, 'unmask-bench');

/** The terms a coordinator removes after a round of n nodes with `delta` of them dropped. */
function roundTerms(n: number, delta: number): { terms: UnmaskTerm[]; k: number; t: number; dropped: number; pairwise: number } {
  const g = chooseGraphParams({ n, dropoutRate: Math.max(delta, 0.1), corruptionRate: 0.05 });
  const ids = Array.from({ length: n }, (_, i) => `n${i}`);
  const graph = hararyGraph(ids, g.k, rng);
  const dropped = new Set<string>();
  while (dropped.size < Math.round(delta * n)) dropped.add(ids[rng.int(n)]!);
  const key = (a: string, b?: string) => deriveMaskKey(crypto, rng.bytes(32), b === undefined ? { round: 1, a } : { round: 1, a, b });
  const terms: UnmaskTerm[] = ids.filter((u) => !dropped.has(u)).map((u) => ({ key: key(u), sign: -1 }));
  let pairwise = 0;
  for (const d of dropped) {
    for (const v of graph.get(d)!) {
      if (dropped.has(v)) continue;
      terms.push({ key: key(v, d), sign: v < d ? -1 : 1 });
      pairwise++;
    }
  }
  return { terms, k: g.k, t: g.t, dropped: dropped.size, pairwise };
}

export const bench: BenchFn = async ({ tiny }) => {
  const m = tiny ? 1 << 15 : 1 << 20;
  const chunkElements = tiny ? 4096 : CHUNK_ELEMENTS;
  const terms = Array.from({ length: tiny ? 4 : 200 }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `p${i}` }), sign: 1 as const }));
  const plan: UnmaskPlan = { bits: 32, vectorLength: m, chunkElements, terms, survivors: [] };
  const pool = new UnmaskPool(availableParallelism());
  try {
    await pool.unmask(plan, new Uint32Array(m)); // start the workers
    const t0 = performance.now();
    unmaskRange(crypto, plan, new Uint32Array(m), 0);
    const one = performance.now() - t0;
    const t1 = performance.now();
    await pool.unmask(plan, new Uint32Array(m));
    const many = performance.now() - t1;
    const figures: BenchFigure[] = [
      { name: `unmask ${terms.length} masks of m=${m}: one thread`, value: Math.round(one), unit: 'ms' },
      { name: `unmask ${terms.length} masks of m=${m}: ${pool.size} worker threads`, value: Math.round(many), unit: 'ms' },
      { name: 'speed-up, workers vs one thread', value: Number((one / many).toFixed(2)), unit: 'ratio', note: `${pool.size} cores` },
    ];
    const n = tiny ? 40 : 500;
    for (const delta of [0, 0.1, 0.3]) {
      const r = roundTerms(n, delta);
      const round: UnmaskPlan = { bits: 32, vectorLength: m, chunkElements, terms: r.terms, survivors: [] };
      const t2 = performance.now();
      await pool.unmask(round, new Uint32Array(m));
      figures.push({
        name: `mask removal of a round on the pool (n=${n}, m=${m}, dropout ${delta * 100}%, k=${r.k}, t=${r.t})`,
        value: Math.round(performance.now() - t2),
        unit: 'ms',
        note: `${r.terms.length - r.pairwise} self + ${r.pairwise} pairwise masks (${r.dropped} dropped); ${pool.size} workers`,
      });
    }
    return figures;
  } finally {
    await pool.close();
  }
};
