// Issue 15, items 2 and 6: DP randomness never comes from the config seed, and the sampling the
// ledger charges is the sampling the coordinator does.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RDP_ORDERS, type Weights } from '@fedtune/shared';
import { binomialTwoSidedP } from './helpers/binomial.js';
import { startClients, startCoordinator } from './helpers/fleet.js';
import { ToyTrainer } from './helpers/toy-trainer.js';

const zeros = (n: number): Weights => ({ tensors: [{ name: 'w', shape: [n] }], data: new Float32Array(n) });
// Nodes whose local training never moves: every change of the global model is DP noise.
const still = (n: number, k: number) => Array.from({ length: k }, () => new ToyTrainer({ target: new Float32Array(n), rate: 0 }));

/** Runs a coordinator with `nodes` still nodes; returns each node's selected rounds and the final model. */
async function run(config: Parameters<typeof startCoordinator>[0], nodes: number, d: number) {
  const { coordinator, url } = await startCoordinator(config, zeros(d));
  const clients = await startClients(url, still(d, nodes));
  const picked = clients.map(() => [] as number[]);
  clients.forEach((c, i) => c.on('fitStart', ({ round }) => picked[i]!.push(round)));
  const summaries = await coordinator.run();
  return { summaries, picked, model: coordinator.store.current!.weights.data.slice() };
}

describe('DP randomness and sampling (issue 15, items 2 and 6)', () => {
  it('two DP runs with the same seed release different noise and draw different cohorts', async () => {
    // Before: the coordinator's one RNG was keyed by `seed` and also drew the central noise and the
    // Poisson cohort, so these two runs published bit-identical models (anyone holding the config
    // could subtract the noise) and sampled the same nodes. Budget: 6 rounds of 8 nodes at q = 1/2;
    // identical cohorts by chance have probability 2^-48, identical noise (2,000 exact discrete
    // Gaussian draws of sigma ~ 4,000 grid units) far less.
    const config = {
      seed: 'one-seed-for-both',
      rounds: 6,
      minNodes: 8,
      minResults: 1,
      selection: { kind: 'poisson' as const, sampleRate: 0.5 },
      evaluateEvery: 0,
      dp: { mode: 'central' as const, clip: 1, noiseMultiplier: 1, delta: 1e-5 },
    };
    const a = await run(config, 8, 2000);
    const b = await run(config, 8, 2000);
    expect(a.summaries.every((s) => s.status === 'completed')).toBe(true);
    expect(Buffer.from(a.model.buffer).equals(Buffer.from(b.model.buffer))).toBe(false);
    // Not merely different: the two noise vectors are unrelated (correlation ~ N(0, 1/d)).
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.model.length; i++) {
      dot += a.model[i]! * b.model[i]!;
      na += a.model[i]! ** 2;
      nb += b.model[i]! ** 2;
    }
    expect(Math.abs(dot / Math.sqrt(na * nb))).toBeLessThan(5 / Math.sqrt(a.model.length));
    expect(JSON.stringify(a.picked)).not.toBe(JSON.stringify(b.picked));
  });

  it('uniform K under DP is Poisson at q = K/N, N never below the nodes that exist, and the ledger charges that q', async () => {
    // The review's case: population 3, one node never online, K = 2. Before, the two online nodes
    // were selected every round (fixed-size draw from the online ones) while the ledger charged
    // q = 2/3: 60 of 60 selections per node, two-sided binomial p = 3.5e-11 against q = 2/3.
    // Budget: 60 rounds; each online node's selections are tested against Bin(60, 2/3) at level 1e-4.
    const rounds = 60;
    const z = 1;
    const delta = 1e-5;
    const { summaries, picked } = await run(
      {
        rounds,
        minNodes: 2,
        minResults: 1,
        population: 3,
        selection: { kind: 'uniform', clientsPerRound: 2, overSelection: 0.5 },
        evaluateEvery: 0,
        dp: { mode: 'central', clip: 1, noiseMultiplier: z, delta },
      },
      2,
      10,
    );
    // Central DP releases every round, even one whose Poisson sample was empty.
    expect(summaries.filter((s) => s.status === 'completed')).toHaveLength(rounds);
    for (const rs of picked) {
      const p = binomialTwoSidedP(rounds, rs.length, 2 / 3);
      expect(p, `selected in ${rs.length} of ${rounds} rounds`).toBeGreaterThan(1e-4);
    }
    // The reference epsilon, written out here from the sources, independently of the accountant:
    // per round, the Poisson-subsampled discrete Gaussian at q = 2/3, z = 1 by Zhu, Wang 2019
    // ("Poisson Subsampled Renyi Differential Privacy", ICML, Thm. 5) at integer orders over the
    // unsampled RDP alpha / (2 z^2) (Canonne, Kamath, Steinke 2020, Thm. 14); T rounds add up
    // (Mironov 2017, Prop. 1); to (epsilon, delta) by CKS20 Prop. 12: eps = rdp + log1p(-1/a) -
    // (log delta + log a) / (a - 1), minimised over dp_accounting's default integer orders.
    const q = 2 / 3;
    const rdp1 = (l: number) => l / (2 * z * z);
    const logBinom = (n: number, k: number) => {
      let s = 0;
      for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
      return s;
    };
    const zhuWang = (a: number) => {
      const terms = [(a - 1) * Math.log1p(-q) + Math.log(a * q - q + 1), logBinom(a, 2) + 2 * Math.log(q) + (a - 2) * Math.log1p(-q) + rdp1(2)];
      for (let l = 3; l <= a; l++) terms.push(Math.log(3) + logBinom(a, l) + (a - l) * Math.log1p(-q) + l * Math.log(q) + (l - 1) * rdp1(l));
      const m = Math.max(...terms);
      const logSum = m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
      return Math.min(logSum / (a - 1), rdp1(a));
    };
    let reference = Infinity;
    for (const a of DEFAULT_RDP_ORDERS.filter((o) => Number.isInteger(o))) {
      const rdp = rounds * zhuWang(a);
      reference = Math.min(reference, Math.max(0, rdp + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1)));
    }
    const reported = summaries.at(-1)!.epsilon!;
    expect(Math.abs(reported - reference) / reference, `reported ${reported}, reference ${reference}`).toBeLessThan(1e-9);
  });
});
