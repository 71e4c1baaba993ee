// Simulation throughput over loopback sockets on one machine: node-rounds per minute of gpt-tiny
// training with its nodes in this thread and in 1 and 2 worker threads (the default is one per
// core), against the machine's own ceiling for two trainer threads (two nodes training at once,
// no federation); and the 100-node x 10-round MLP run (target: a few minutes on 2 cores) on the
// automatically chosen backend and on cpu.
import { runSimulation, type SimulationOptions } from '../src/simulation.js';
import { TrainerPool } from '../src/trainer-pool.js';
import { findWorkload } from '../src/workloads.js';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';

/**
 * Node-rounds per minute: over the rounds after the first (each thread's first fit also compiles
 * WebAssembly and warms the JIT), and over the whole run, thread start-up and data building included.
 */
async function throughput(o: SimulationOptions): Promise<{ steady: number; wall: number; modelVersion: string | null }> {
  const started = performance.now();
  const r = await runSimulation(o);
  const wallMin = (performance.now() - started) / 60_000;
  const later = r.rounds.length > 1 ? r.rounds.slice(1) : r.rounds;
  const steady = later.reduce((s, x) => s + x.survivors, 0) / (later.reduce((s, x) => s + x.durationMs, 0) / 60_000);
  return { steady, wall: r.rounds.reduce((s, x) => s + x.survivors, 0) / wallMin, modelVersion: r.final.modelVersion };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

export const bench: BenchFn = async ({ tiny }) => {
  const figures: BenchFigure[] = [];

  // gpt-tiny: every node trains one epoch of its notes per round (about 6 AdamW steps of 8 rows).
  const lm = { clients: tiny ? 2 : 6, rounds: tiny ? 1 : 4, model: 'gpt-tiny', dataset: 'synthetic-notes', partition: { kind: 'iid' as const }, dropout: 0, seed: 'bench', logLevel: 'error' as const, backend: 'wasm' };
  const label = `gpt-tiny, ${lm.clients} nodes x ${lm.rounds} rounds, wasm`;
  // Thread counts in turn, five times over: the machine is shared, and another process's burst
  // takes a core from two trainer threads but not from one (medians of interleaved runs).
  const reps = tiny ? 1 : 5;
  const counts = tiny ? [0, 2] : [0, 1, 2];
  const runs = new Map<number, { steady: number; wall: number }[]>();
  const versions = new Set<string | null>();
  for (let rep = 0; rep < reps; rep++) {
    for (const workers of counts) {
      const t = await throughput({ ...lm, workers });
      runs.set(workers, [...(runs.get(workers) ?? []), t]);
      versions.add(t.modelVersion);
    }
  }
  const per: Record<number, { steady: number; wall: number }> = {};
  for (const workers of counts) {
    const r = runs.get(workers)!;
    per[workers] = { steady: median(r.map((x) => x.steady)), wall: median(r.map((x) => x.wall)) };
    const where = workers === 0 ? "in the simulation's thread" : `${workers} worker thread${workers > 1 ? 's' : ''}`;
    figures.push({ name: `${label}, ${where}`, value: per[workers]!.steady, unit: 'node-rounds/min', note: `rounds 2 on, median of ${r.map((x) => x.steady.toFixed(0)).join(', ')}; ${per[workers]!.wall.toFixed(0)} over the whole run with start-up` });
  }
  figures.push({ name: `${label}: 2 workers / 1 worker`, value: per[1] === undefined ? per[2]!.steady / per[0]!.steady : per[2]!.steady / per[1].steady, unit: 'ratio', note: per[1] === undefined ? 'tiny: against one thread' : 'target >= 1.8' });
  figures.push({ name: `${label}: 2 workers / the simulation's thread`, value: per[2]!.steady / per[0]!.steady, unit: 'ratio' });
  // The same seed must give the same model whatever the threads.
  figures.push({ name: `${label}: distinct final models across thread counts`, value: versions.size, unit: 'count', note: 'must be 1' });

  // The ceiling: two gpt-tiny nodes in two trainer threads fitting at once, against one alone.
  const pool = new TrainerPool(2);
  try {
    const [a, b] = await pool.createNodes({ model: 'gpt-tiny', dataset: 'synthetic-notes', clients: 2, partition: { kind: 'iid' }, seed: 'bench', backend: 'wasm' });
    const config = { ...findWorkload('gpt-tiny', 'synthetic-notes').trainConfig, epochs: tiny ? 1 : 3 };
    await Promise.all([a!.fit(config), b!.fit(config)]);
    const ratios: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      let t0 = performance.now();
      await a!.fit(config);
      const solo = performance.now() - t0;
      t0 = performance.now();
      await Promise.all([a!.fit(config), b!.fit(config)]);
      ratios.push((2 * solo) / (performance.now() - t0));
    }
    figures.push({ name: 'ceiling: two gpt-tiny nodes fitting at once in two trainer threads / one alone', value: median(ratios), unit: 'ratio', note: `3 epochs each, no federation; runs ${ratios.map((r) => r.toFixed(2)).join(', ')}` });
  } finally {
    await pool.close();
  }

  const clients = tiny ? 4 : 100;
  const rounds = tiny ? 1 : 10;
  for (const backend of tiny ? ['cpu'] : [undefined, 'cpu']) {
    const started = performance.now();
    const r = await runSimulation({ clients, rounds, model: 'mlp', dataset: 'synthetic-classification', partition: { kind: 'dirichlet', alpha: 0.5 }, dropout: 0.1, seed: 'bench', ...(backend ? { backend } : {}), logLevel: 'error' });
    const seconds = (performance.now() - started) / 1000;
    const name = `${clients} clients x ${rounds} rounds, mlp, dirichlet:0.5, dropout 0.1 (${r.final.backend}, default worker threads)`;
    figures.push({ name: `wall time: ${name}`, value: Number(seconds.toFixed(1)), unit: 's', note: 'target: a few minutes on 2 cores' });
    figures.push({ name: `mean round: ${name}`, value: Math.round(r.rounds.reduce((s, x) => s + x.durationMs, 0) / r.rounds.length), unit: 'ms' });
    figures.push({ name: `accuracy first -> last: ${name}`, value: Number(((r.final.evalAccuracy ?? 0) - (r.final.firstEvalAccuracy ?? 0)).toFixed(3)), unit: 'gain', note: `${r.final.firstEvalAccuracy?.toFixed(3)} -> ${r.final.evalAccuracy?.toFixed(3)}` });
    figures.push({ name: `upload per client: ${name}`, value: r.rounds[0]?.uploadBytesPerClient ?? 0, unit: 'bytes' });
  }
  return figures;
};
