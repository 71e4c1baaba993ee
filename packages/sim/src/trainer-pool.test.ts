// Nodes trained in worker threads give the seeded results of one thread: the same model, bit for
// bit (its content hash), the same rounds, and metrics equal up to float64 summation order; errors
// cross the thread boundary with their codes.
import { describe, expect, it } from 'vitest';
import { FedtuneError } from '@fedtune/shared';
import { runSimulation, type SimulationOptions, type SimulationReport } from './simulation.js';
import { TrainerPool } from './trainer-pool.js';

/**
 * Everything but timings, which differ from run to run, with every number rounded to 12
 * significant digits: the coordinator averages the nodes' metrics in float64 in the order their
 * replies arrive, and that order depends on thread timing (the model is averaged the same way but
 * compared exactly, by hash).
 */
function results(r: SimulationReport): unknown {
  const round = (v: unknown): unknown =>
    typeof v === 'number' ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(round) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v;
  return round({ rounds: r.rounds.map(({ durationMs: _d, secagg: _s, ...rest }) => rest), final: { ...r.final, durationMs: 0 } });
}

describe('simulation in trainer worker threads', () => {
  // Dropout 0 and every node selected: with dropouts, which nodes are back for the next round
  // depends on timing, in one thread as in several.
  const cases: [string, Omit<SimulationOptions, 'workers'>][] = [
    ['mlp, 6 nodes x 2 rounds', { clients: 6, rounds: 2, model: 'mlp', dataset: 'synthetic-classification', partition: { kind: 'dirichlet', alpha: 0.5 }, dropout: 0, seed: 'pool-mlp', logLevel: 'error', backend: 'wasm' }],
    ['gpt-tiny-lora, 3 nodes x 1 round', { clients: 3, rounds: 1, model: 'gpt-tiny-lora', dataset: 'synthetic-notes', partition: { kind: 'iid' }, dropout: 0, seed: 'pool-lm', logLevel: 'error', backend: 'wasm' }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: 2 workers give one thread's report and model`, async () => {
      const one = await runSimulation({ ...options, workers: 0 });
      const two = await runSimulation({ ...options, workers: 2 });
      expect(one.rounds.every((r) => r.status === 'completed')).toBe(true);
      expect(one.final.modelVersion).not.toBeNull();
      expect(two.final.modelVersion).toBe(one.final.modelVersion);
      expect(results(two)).toEqual(results(one));
    }, 180_000);
  }

  it('refuses a bad worker count, and threads for a run whose trainers must stay in this thread', async () => {
    const base = { clients: 2, rounds: 1, model: 'mlp', dataset: 'synthetic-classification', partition: { kind: 'iid' as const }, dropout: 0, seed: 's', logLevel: 'error' as const };
    for (const workers of [-1, 1.5, NaN]) await expect(runSimulation({ ...base, workers })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: /--workers must be an integer/ });
    await expect(runSimulation({ ...base, workers: 1, inspect: async () => {} })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG', message: /worker threads need a workload named/ });
  });

  it('a worker-side failure keeps its FT_ERR code and message; a wrong weight length is refused here', async () => {
    const pool = new TrainerPool(1);
    try {
      const err = await pool.createNodes({ model: 'nope', dataset: 'none', clients: 1, partition: { kind: 'iid' }, seed: 's' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FedtuneError);
      expect(err).toMatchObject({ code: 'FT_ERR_CONFIG', message: /no workload for --model nope/ });
      const [t] = await pool.createNodes({ model: 'mlp', dataset: 'synthetic-classification', clients: 1, partition: { kind: 'iid' }, seed: 's', backend: 'cpu' });
      expect(() => t!.setWeights(new Float32Array(3))).toThrow(RangeError);
      expect(() => t!.setWeights([1, 2, 3] as unknown as Float32Array)).toThrow(TypeError);
      await expect(t!.fit({ epochs: 1, batchSize: 0.5 })).resolves.toMatchObject({ numExamples: expect.any(Number) });
      const w = t!.getWeights();
      w.fill(Number.NaN);
      t!.setWeights(w);
      await expect(t!.fit({ epochs: 1 })).rejects.toMatchObject({ code: 'FT_ERR_TRAINING' });
    } finally {
      await pool.close();
    }
    expect(() => new TrainerPool(0)).toThrow(FedtuneError);
  }, 120_000);
});
