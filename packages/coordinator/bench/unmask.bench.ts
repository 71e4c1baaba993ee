// Coordinator mask removal (Bonawitz et al. 2017 §4 round 4) on one thread against the UnmaskPool
// on every core (its workers and the calling thread), measured in turns after the pool's first use (worker start-up is paid once per
// coordinator): a real round's masks for n = 100 and 500 at m = 1M (survivors' self masks plus the
// pairwise masks of dropped nodes with their live neighbours, graph from chooseGraphParams), then a
// sweep of vector lengths and mask counts showing where the pool helps and that it never hurts.
import {
  RingAccumulator, chooseGraphParams, deriveMaskKey, hararyGraph, nodeCryptoProvider as crypto, seededRandom, unmaskRange, type UnmaskPlan, type UnmaskTerm,
} from '@fedtune/shared';
import { availableParallelism } from 'node:os';
import { MIN_PARALLEL_WORDS, UnmaskPool } from '../src/secagg/unmask-pool.js';
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

const randomTerms = (count: number): UnmaskTerm[] => Array.from({ length: count }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: `p${i}` }), sign: 1 }));

/**
 * Best of `reps` turns of one thread then the pool, on the same sum (the accumulator's shared
 * memory); `cores` is the process's CPU time over wall time in the pool's best turn, all threads
 * counted: below the core count, other processes held the cores (the machine is shared).
 */
async function compare(pool: UnmaskPool, plan: UnmaskPlan, reps: number): Promise<{ one: number; pool: number; cores: number }> {
  const sum = new RingAccumulator(plan.vectorLength, 16).sum;
  let one = Infinity;
  let many = Infinity;
  let cores = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    unmaskRange(crypto, plan, sum, 0);
    one = Math.min(one, performance.now() - t0);
    const cpu = process.cpuUsage();
    const t1 = performance.now();
    await pool.unmask(plan, sum);
    const wall = performance.now() - t1;
    const used = process.cpuUsage(cpu);
    if (wall < many) {
      many = wall;
      cores = (used.user + used.system) / 1000 / wall;
    }
  }
  return { one, pool: many, cores };
}

export const bench: BenchFn = async ({ tiny }) => {
  const m = tiny ? 1 << 15 : 1 << 20;
  const cores = availableParallelism();
  // The default pool: a worker per core but one, the calling thread taking the last share.
  const pool = new UnmaskPool();
  const figures: BenchFigure[] = [];
  try {
    await pool.unmask({ bits: 32, vectorLength: 1 << 16, chunkElements: 1 << 16, terms: randomTerms(32), survivors: [] }, new Uint32Array(1 << 16)); // start the workers
    const rounds = tiny ? [[40, 0.3]] : [[100, 0], [100, 0.1], [100, 0.3], [500, 0], [500, 0.1], [500, 0.3]];
    for (const [n, delta] of rounds as [number, number][]) {
      const r = roundTerms(n, delta);
      const plan: UnmaskPlan = { bits: 32, vectorLength: m, chunkElements: 1 << 18, terms: r.terms, survivors: [] };
      const c = await compare(pool, plan, tiny ? 1 : 3);
      const tag = `n=${n}, m=${m}, dropout ${delta * 100}%, k=${r.k}, t=${r.t}: ${r.terms.length - r.pairwise} self + ${r.pairwise} pairwise masks`;
      figures.push(
        { name: `mask removal, one thread (${tag})`, value: c.one, unit: 'ms' },
        { name: `mask removal, UnmaskPool on ${cores} cores (${tag})`, value: c.pool, unit: 'ms' },
        { name: `speed-up on ${cores} cores (n=${n}, dropout ${delta * 100}%)`, value: c.one / c.pool, unit: 'ratio', note: `${n === 100 && delta === 0.3 ? 'target >= 1.8; ' : ''}cores busy during the pool's turn: ${c.cores.toFixed(2)}` },
      );
    }
    // Every size: the pool must never be slower than one thread (it keeps small work on the caller).
    let worst = Infinity;
    const lengths = tiny ? [1000, 20_000] : [1000, 16_384, 100_000, 1 << 20];
    const counts = tiny ? [4, 40] : [2, 16, 32, 128, 1024];
    for (const len of lengths) {
      for (const count of counts) {
        if (len * count > 2 ** 28) continue; // a second or more per turn; the rounds above cover it
        const c = await compare(pool, { bits: 32, vectorLength: len, chunkElements: 1 << 18, terms: randomTerms(count), survivors: [] }, tiny ? 1 : 9);
        worst = Math.min(worst, c.one / c.pool);
        figures.push({ name: `speed-up on ${cores} cores, m=${len}, ${count} masks`, value: c.one / c.pool, unit: 'ratio', note: `${c.one.toFixed(3)} ms vs ${c.pool.toFixed(3)} ms, ${c.cores.toFixed(2)} cores busy${len * count < MIN_PARALLEL_WORDS ? ' (below MIN_PARALLEL_WORDS: calling thread)' : ''}` });
      }
    }
    figures.push({ name: 'worst speed-up over the sweep', value: worst, unit: 'ratio', note: 'no slowdown: >= 1 up to noise' });
    return figures;
  } finally {
    await pool.close();
  }
};
