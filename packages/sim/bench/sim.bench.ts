// Simulation throughput: N MLP nodes x R rounds over loopback sockets on one machine
// (target: 100 x 10 in a few minutes on 2 cores), on the automatically chosen backend.
import { runSimulation } from '../src/simulation.js';
import type { BenchFigure, BenchFn } from '../../../scripts/bench-types.js';

export const bench: BenchFn = async ({ tiny }) => {
  const clients = tiny ? 4 : 100;
  const rounds = tiny ? 1 : 10;
  const figures: BenchFigure[] = [];
  const backends = tiny ? ['cpu'] : [undefined, 'cpu'];
  for (const backend of backends) {
    const started = performance.now();
    const r = await runSimulation({ clients, rounds, model: 'mlp', dataset: 'synthetic-classification', partition: { kind: 'dirichlet', alpha: 0.5 }, dropout: 0.1, seed: 'bench', ...(backend ? { backend } : {}), logLevel: 'error' });
    const seconds = (performance.now() - started) / 1000;
    const label = `${clients} clients x ${rounds} rounds, mlp, dirichlet:0.5, dropout 0.1 (${r.final.backend})`;
    figures.push({ name: `wall time: ${label}`, value: Number(seconds.toFixed(1)), unit: 's', note: 'target: a few minutes on 2 cores' });
    figures.push({ name: `mean round: ${label}`, value: Math.round(r.rounds.reduce((s, x) => s + x.durationMs, 0) / r.rounds.length), unit: 'ms' });
    figures.push({ name: `accuracy first -> last: ${label}`, value: Number(((r.final.evalAccuracy ?? 0) - (r.final.firstEvalAccuracy ?? 0)).toFixed(3)), unit: 'gain', note: `${r.final.firstEvalAccuracy?.toFixed(3)} -> ${r.final.evalAccuracy?.toFixed(3)}` });
    figures.push({ name: `upload per client: ${label}`, value: r.rounds[0]?.uploadBytesPerClient ?? 0, unit: 'bytes' });
  }
  return figures;
};
