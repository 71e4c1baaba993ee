// DpSgdOnDemand: plain rounds stay plain, a local-sgd round builds the DP-SGD trainer it asks for
// (once per parameter set), and the attested epsilon composes every DP step on this node.
import { describe, expect, it } from 'vitest';
import { sampledGaussianEpsilon, type TrainConfig } from '@fedtune/shared';
import type { DpSgdRequest } from './dp-sgd-capable.js';
import { DpSgdOnDemand } from './dp-sgd-on-demand.js';
import type { SampledGaussianEvent } from './dp-sgd-trainer.js';
import type { LocalTrainer } from './trainer.js';

class Plain implements LocalTrainer {
  readonly tensors = [{ name: 'w', shape: [2] }];
  readonly backend = 'toy';
  w = new Float32Array(2);
  fits = 0;
  getWeights() {
    return this.w.slice();
  }
  setWeights(d: Float32Array) {
    this.w = d.slice();
  }
  async fit() {
    this.fits++;
    return { numExamples: 5, metrics: { trainLoss: 1 } };
  }
  async evaluate() {
    return { numExamples: 0, loss: 0, metrics: {} };
  }
  dispose() {}
}

/** A DP-SGD stand-in taking `steps` steps of (q, z) per fit. */
function fakeDp(p: DpSgdRequest & { batchSize: number }, built: string[], steps = 3) {
  built.push(`${p.noiseMultiplier}/${p.batchSize}`);
  const q = p.batchSize / 100;
  let event: SampledGaussianEvent | null = null;
  const t = {
    tensors: [{ name: 'w', shape: [2] }],
    backend: 'toy',
    get lastFitEvent() {
      return event;
    },
    getWeights: () => new Float32Array([7, 7]),
    setWeights: () => {},
    fit: async () => ({ numExamples: 0, metrics: {} }),
    evaluate: async () => ({ numExamples: 0, loss: 0, metrics: {} }),
    dispose: () => {},
    fitDpSgd: async (_c: TrainConfig, r: DpSgdRequest) => {
      event = { kind: 'sampled-gaussian', samplingRate: q, noiseMultiplier: p.noiseMultiplier, count: steps };
      return { numExamples: 0, metrics: {}, applied: { noiseMultiplier: p.noiseMultiplier, l2Clip: p.l2Clip, epsilon: -1, delta: r.delta } };
    },
  };
  return t;
}

describe('DpSgdOnDemand', () => {
  it('builds the DP-SGD trainer a round asks for, once per parameter set, and attests the composed epsilon', async () => {
    const built: string[] = [];
    const plain = new Plain();
    const node = new DpSgdOnDemand(plain, async (p) => fakeDp(p, built), 10);
    await node.fit({});
    expect(plain.fits).toBe(1);
    const req = { noiseMultiplier: 1, l2Clip: 1, delta: 1e-5 };
    const a = await node.fitDpSgd({}, req);
    const b = await node.fitDpSgd({}, req);
    expect(built).toEqual(['1/10']);
    expect(node.getWeights()).toEqual(new Float32Array([7, 7]));
    // Two fits of 3 steps at q = 10/100, z = 1: the accountant over all 6 steps, not the trainer's own -1.
    expect(a.applied.epsilon).toBeCloseTo(sampledGaussianEpsilon({ samplingRate: 0.1, noiseMultiplier: 1, steps: 3, delta: 1e-5 }).epsilon, 12);
    expect(b.applied.epsilon).toBeCloseTo(sampledGaussianEpsilon({ samplingRate: 0.1, noiseMultiplier: 1, steps: 6, delta: 1e-5 }).epsilon, 12);
    // A new batch size is a new trainer; the epsilon keeps every earlier step.
    const c = await node.fitDpSgd({ batchSize: 20 }, { ...req, noiseMultiplier: 2 });
    expect(built).toEqual(['1/10', '2/20']);
    expect(c.applied.epsilon).toBeGreaterThan(b.applied.epsilon);
    // Plain rounds hand the weights back to the plain trainer.
    node.setWeights(new Float32Array([1, 2]));
    expect(node.getWeights()).toEqual(new Float32Array([1, 2]));
  });
});
