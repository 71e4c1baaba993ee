// Server-step math against values computed by hand from the update rules of McMahan et al. 2017,
// Hsu et al. 2019 (FedAvgM) and Reddi et al. 2021 (Algorithm 2). float32 storage: toBeCloseTo at
// 6 digits, the precision of a float32 around 1.
import { describe, expect, it } from 'vitest';
import { FedAdaptive } from './fed-adaptive.js';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { createStrategy } from './create-strategy.js';
import { weightedEvaluate } from './strategy.js';
import { PlainAggregator } from '../round/plain-aggregator.js';

const agg = (d: number[]) => ({ meanDelta: Float32Array.from(d), count: 1, totalExamples: 1, metrics: {} });
const close = (a: Float32Array, b: number[]) => b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));

describe('strategies', () => {
  it('FedAvg with an example-weighted mean is the weighted average of local models', () => {
    const a = new PlainAggregator(2, 'examples');
    a.add(Float32Array.from([1, 0]), 1, { trainLoss: 1 });
    a.add(Float32Array.from([0, 3]), 3, { trainLoss: 3 });
    const mean = a.finish();
    close(mean.meanDelta, [0.25, 2.25]);
    expect(mean.metrics.trainLoss).toBeCloseTo((1 * 1 + 3 * 3) / 4, 10);
    close(new FedAvg().aggregateFit(1, Float32Array.from([1, 1]), mean), [1.25, 3.25]);
    close(new FedAvg({ serverLearningRate: 0.5 }).aggregateFit(1, Float32Array.from([1, 1]), mean), [1.125, 2.125]);
  });

  it('uniform weighting ignores example counts', () => {
    const a = new PlainAggregator(1, 'uniform');
    a.add(Float32Array.from([1]), 1, {});
    a.add(Float32Array.from([3]), 100, {});
    close(a.finish().meanDelta, [2]);
  });

  it('FedAvgM: v = beta v + d, w = w + eta v', () => {
    const s = new FedAvgM({ momentum: 0.5, serverLearningRate: 1 });
    let w = s.aggregateFit(1, Float32Array.from([0]), agg([1])); // v = 1
    close(w, [1]);
    w = s.aggregateFit(2, w, agg([1])); // v = 1.5
    close(w, [2.5]);
    w = s.aggregateFit(3, w, agg([-2])); // v = -1.25
    close(w, [1.25]);
  });

  it('FedAdam, two steps by hand (v0 = tau^2)', () => {
    const s = new FedAdaptive('adam', { serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.01 });
    // step 1: m = 0.1*2 = 0.2; v = 0.99*1e-4 + 0.01*4 = 0.040099; w = 0.1*0.2/(sqrt(0.040099)+0.01)
    let w = s.aggregateFit(1, Float32Array.from([0]), agg([2]));
    const w1 = (0.1 * 0.2) / (Math.sqrt(0.040099) + 0.01);
    close(w, [w1]);
    // step 2 with d = -1: m = 0.9*0.2 - 0.1 = 0.08; v = 0.99*0.040099 + 0.01*1 = 0.04969801
    w = s.aggregateFit(2, w, agg([-1]));
    close(w, [w1 + (0.1 * 0.08) / (Math.sqrt(0.04969801) + 0.01)]);
  });

  it('FedYogi: v = v - (1-b2) d^2 sign(v - d^2); FedAdagrad: v = v + d^2', () => {
    const y = new FedAdaptive('yogi', { serverLearningRate: 1, beta1: 0, beta2: 0.5, tau: 0.1 });
    // v0 = 0.01, d = 1: v = 0.01 - 0.5*1*sign(0.01-1) = 0.51; m = 1; w = 1/(sqrt(0.51)+0.1)
    close(y.aggregateFit(1, Float32Array.from([0]), agg([1])), [1 / (Math.sqrt(0.51) + 0.1)]);
    const g = new FedAdaptive('adagrad', { serverLearningRate: 1, beta1: 0, tau: 0.1 });
    // v = 0.01 + 4 = 4.01; m = 2; w = 2/(sqrt(4.01)+0.1)
    close(g.aggregateFit(1, Float32Array.from([0]), agg([2])), [2 / (Math.sqrt(4.01) + 0.1)]);
  });

  it('never mutates the global weights it is given', () => {
    for (const name of ['fedavg', 'fedavgm', 'fedadam', 'fedyogi', 'fedadagrad'] as const) {
      const g = Float32Array.from([1, 2]);
      createStrategy(name).aggregateFit(1, g, agg([0.5, 0.5]));
      expect(Array.from(g)).toEqual([1, 2]);
    }
  });

  it('server momentum and moments survive a save/load (coordinator restart)', () => {
    for (const name of ['fedavgm', 'fedadam', 'fedyogi'] as const) {
      const a = createStrategy(name);
      const w1 = a.aggregateFit(1, Float32Array.from([0, 0]), agg([1, -2]));
      const b = createStrategy(name);
      b.loadState!(JSON.parse(JSON.stringify(a.saveState!())));
      expect(Array.from(b.aggregateFit(2, w1, agg([0.5, 0.5])))).toEqual(Array.from(a.aggregateFit(2, w1, agg([0.5, 0.5]))));
    }
    expect(() => createStrategy('fedavgm').loadState!({ velocity: 'abc' })).toThrow(RangeError);
  });

  it('rejects out-of-range hyperparameters', () => {
    expect(() => new FedAvg({ serverLearningRate: 0 })).toThrow(RangeError);
    expect(() => new FedAvgM({ momentum: 1 })).toThrow(RangeError);
    expect(() => new FedAdaptive('adam', { tau: -1 })).toThrow(RangeError);
    expect(() => new FedAdaptive('yogi', { beta2: 1 })).toThrow(RangeError);
    expect(() => new FedAvg({ serverLearningRate: NaN })).toThrow(RangeError);
  });

  it('federated evaluation is weighted by example count', () => {
    const e = weightedEvaluate([
      { numExamples: 1, loss: 1, metrics: { accuracy: 0 } },
      { numExamples: 3, loss: 2, metrics: { accuracy: 1 } },
    ]);
    expect(e).toEqual({ count: 2, totalExamples: 4, loss: 1.75, metrics: { accuracy: 0.75 } });
    expect(weightedEvaluate([]).loss).toBeNull();
  });
});
