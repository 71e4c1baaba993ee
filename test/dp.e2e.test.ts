// Differential privacy end to end over real sockets: the noise reaches the aggregate with the
// intended variance (central, and distributed through SecAgg), training stops at the budget, and
// the privacy ledger survives a coordinator restart.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampledGaussianEpsilon, type Weights } from '@fedtune/shared';
import type { DpSgdRequest } from '@fedtune/client';
import type { RoundSummary } from '@fedtune/coordinator';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const zeros = (n: number): Weights => ({ tensors: [{ name: 'w', shape: [n] }], data: new Float32Array(n) });
// Nodes whose local training never moves: every change of the global model is DP noise.
const still = (n: number, k: number) => Array.from({ length: k }, () => new ToyTrainer({ target: new Float32Array(n), rate: 0 }));

/** Per-round increments of the global model, collected as rounds complete. */
async function increments(run: (onRound: (s: RoundSummary) => void) => Promise<RoundSummary[]>, current: () => Float32Array) {
  let prev = current().slice();
  const out: Float32Array[] = [];
  const summaries = await run(() => {
    const now = current();
    out.push(now.map((v, i) => v - prev[i]!));
    prev = now.slice();
  });
  return { summaries, increments: out };
}

/**
 * Chi-square check that samples have variance `variance` around 0: sum(x^2)/variance ~ chi2(N),
 * mean N, sd sqrt(2N); we accept 5 sd (false alarm < 1e-6).
 */
function expectVariance(samples: Float32Array[], variance: number): void {
  let n = 0;
  let ss = 0;
  for (const s of samples) for (const x of s) {
    ss += (x * x) / variance;
    n++;
  }
  expect(Math.abs(ss - n)).toBeLessThan(5 * Math.sqrt(2 * n));
}

describe('differential privacy over real sockets', () => {
  it('central mode: the sum gets N(0, (zC)^2) per coordinate, so the mean moves with sd zC/n', async () => {
    const d = 3000;
    const n = 4;
    const z = 0.5;
    const clip = 2;
    const { coordinator, url } = await startCoordinator(
      { rounds: 3, minNodes: n, minResults: n, selection: { kind: 'uniform', clientsPerRound: n, overSelection: 0 }, evaluateEvery: 0, dp: { mode: 'central', clip, noiseMultiplier: z, delta: 1e-5 } },
      zeros(d),
    );
    await startClients(url, still(d, n));
    const { summaries, increments: inc } = await increments((cb) => coordinator.run(cb), () => coordinator.store.current!.weights.data);
    expect(summaries).toHaveLength(3);
    expectVariance(inc, (z * clip / n) ** 2);
    // q = 1 (every node, every round): epsilon is that of 3 Gaussian mechanisms.
    const ref = sampledGaussianEpsilon({ samplingRate: 1, noiseMultiplier: z, steps: 3, delta: 1e-5 }).epsilon;
    expect(summaries[2]!.epsilon).toBeCloseTo(ref, 9);
    expect(summaries.map((s) => s.epsilon!)).toEqual([...summaries.map((s) => s.epsilon!)].sort((a, b) => a - b));
  });

  it.each(['discrete-gaussian', 'skellam'] as const)('distributed mode (%s): the nodes\' noise shares sum, through SecAgg, to the intended noise', async (noise) => {
    const d = 2000;
    const n = 5;
    const z = 1;
    const clip = 1;
    const t = 3;
    const { coordinator, url } = await startCoordinator(
      {
        rounds: 3,
        minNodes: n,
        minResults: t,
        selection: { kind: 'uniform', clientsPerRound: n, overSelection: 0 },
        evaluateEvery: 0,
        secagg: { l2Clip: clip },
        dp: { mode: 'distributed', clip, noiseMultiplier: z, delta: 1e-5, minSurvivors: t, noise },
      },
      zeros(d),
    );
    await startClients(url, still(d, n));
    const { summaries, increments: inc } = await increments((cb) => coordinator.run(cb), () => coordinator.store.current!.weights.data);
    expect(summaries.every((s) => s.status === 'completed' && s.survivors === n)).toBe(true);
    const scale = summaries[0]!.secagg!.scale;
    // Each node: N_Z(0, sigma^2) or Skellam of variance sigma^2, sigma^2 = (z * Delta2)^2 / t,
    // Delta2 = C*scale + sqrt(d) (KLS21); the mean of n nodes in model units has variance
    // n sigma^2 / (scale n)^2.
    const delta2 = clip * scale + Math.sqrt(d);
    const sigma2 = (z * delta2) ** 2 / t;
    expectVariance(inc, (n * sigma2) / (scale * n) ** 2);
    expect(summaries[2]!.epsilon!).toBeGreaterThan(summaries[0]!.epsilon!);
    // Either mechanism costs a little more than the continuous Gaussian at the same z (q = 1).
    const gaussian = sampledGaussianEpsilon({ samplingRate: 1, noiseMultiplier: z, steps: 3, delta: 1e-5 }).epsilon;
    expect(summaries[2]!.epsilon!).toBeGreaterThanOrEqual(gaussian);
    expect(summaries[2]!.epsilon!).toBeLessThan(gaussian * 1.05);
  });

  it('stops before a round that would exceed the budget, and says why', async () => {
    const d = 10;
    const budget = sampledGaussianEpsilon({ samplingRate: 1, noiseMultiplier: 2, steps: 2, delta: 1e-5 }).epsilon * 1.01;
    const { coordinator, url } = await startCoordinator(
      { rounds: 6, minNodes: 2, minResults: 2, selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0, dp: { mode: 'central', clip: 1, noiseMultiplier: 2, delta: 1e-5, budgetEpsilon: budget } },
      zeros(d),
    );
    const clients = await startClients(url, still(d, 2));
    const summaries = await coordinator.run();
    const finished = await clients[0]!.finished;
    expect(summaries).toHaveLength(2);
    expect(finished.reason).toMatch(/privacy budget exhausted: round 3 would bring epsilon to [0-9.]+ > /);
    expect(summaries.every((s) => s.epsilon! <= budget)).toBe(true);
  });

  it('under DP, per-node training metrics stay on the node; local DP-SGD nodes attest their epsilon, and one that cannot run DP-SGD refuses the round', async () => {
    const d = 10;
    // Nodes that, like DpSgdTrainer, report trainLoss (un-noised) and, asked for DP-SGD, attest their own epsilon.
    class Reporting extends ToyTrainer {
      constructor(private readonly epsilon: number) {
        super({ target: new Float32Array(d), rate: 0 });
      }
      async fitDpSgd(config: Parameters<ToyTrainer['fit']>[0], request: DpSgdRequest) {
        const out = await super.fit(config);
        return { ...out, applied: { noiseMultiplier: request.noiseMultiplier, l2Clip: request.l2Clip, epsilon: this.epsilon, delta: request.delta } };
      }
    }
    const base = { rounds: 2, minNodes: 2, minResults: 1, selection: { kind: 'uniform' as const, clientsPerRound: 2, overSelection: 0 }, evaluateEvery: 0 };
    const run = async (dp: object | undefined, trainers: ToyTrainer[] = [new Reporting(1.25), new Reporting(2.5)]) => {
      const { coordinator, url } = await startCoordinator({ ...base, ...(dp === undefined ? {} : { dp }) }, zeros(d));
      await startClients(url, trainers);
      return coordinator.run();
    };
    const plain = await run(undefined);
    expect(plain.every((s) => typeof s.trainLoss === 'number')).toBe(true);
    const local = await run({ mode: 'local-sgd', clip: 1, noiseMultiplier: 1, delta: 1e-5 });
    expect(local.map((s) => s.trainLoss)).toEqual([null, null]);
    expect(local.map((s) => s.epsilon)).toEqual([2.5, 2.5]);
    const central = await run({ mode: 'central', clip: 1, noiseMultiplier: 1, delta: 1e-5 });
    expect(central.map((s) => s.trainLoss)).toEqual([null, null]);
    // A plain trainer cannot run DP-SGD: that node refuses (FT_ERR_DP_REFUSED), the other's epsilon is the run's.
    const mixed = await run({ mode: 'local-sgd', clip: 1, noiseMultiplier: 1, delta: 1e-5 }, [new Reporting(1.25), new ToyTrainer({ target: new Float32Array(d), rate: 0 })]);
    expect(mixed.map((s) => [s.status, s.survivors, s.droppedDetail.map((x) => x.reason).join()])).toEqual([['completed', 1, 'failed'], ['completed', 1, 'failed']]);
    expect(mixed.map((s) => s.epsilon)).toEqual([1.25, 1.25]);
  });

  it('keeps the privacy ledger across a coordinator restart', async () => {
    const d = 10;
    const dataDir = await mkdtemp(join(tmpdir(), 'fedtune-ledger-'));
    const config = {
      minNodes: 2,
      minResults: 2,
      selection: { kind: 'uniform' as const, clientsPerRound: 2, overSelection: 0 },
      evaluateEvery: 0,
      dataDir,
      dp: { mode: 'central' as const, clip: 1, noiseMultiplier: 1.5, delta: 1e-5 },
    };
    const first = await startCoordinator({ ...config, rounds: 2 }, zeros(d));
    await startClients(first.url, still(d, 2));
    await first.coordinator.run();
    await first.coordinator.close();
    const second = await startCoordinator({ ...config, rounds: 3 });
    await startClients(second.url, still(d, 2));
    const [round3] = await second.coordinator.run();
    expect(round3!.round).toBe(3);
    const ref = sampledGaussianEpsilon({ samplingRate: 1, noiseMultiplier: 1.5, steps: 3, delta: 1e-5 }).epsilon;
    expect(round3!.epsilon).toBeCloseTo(ref, 9);
  });

  it('refuses distributed noise without secure aggregation', async () => {
    await expect(startCoordinator({ dp: { mode: 'distributed', clip: 1, noiseMultiplier: 1, delta: 1e-5 } })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
    await expect(startCoordinator({ dp: { mode: 'central', clip: 1, delta: 1e-5 } })).rejects.toMatchObject({ code: 'FT_ERR_CONFIG' });
  });
});
