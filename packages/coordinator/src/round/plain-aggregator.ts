// Streaming weighted mean of deltas: each update is folded in as it completes and then released, so
// memory is one accumulator plus the updates in flight. The sum is kept in doubled float64 precision
// (Sum2 of Ogita, Rump, Oishi 2005, "Accurate sum and dot product": Knuth's error-free TwoSum per
// element, the errors summed beside), so the mean does not depend on the order updates arrive in:
// a run gives the same model, bit for bit, whatever the network's timing (in one thread, in worker
// threads, or after a restart).
import { FedtuneError, type Metrics } from '@fedtune/shared';
import { weightedMetrics, type FitAggregate, type UpdateAggregator } from '../strategy/strategy.js';

export type Weighting = 'examples' | 'uniform';

export class PlainAggregator implements UpdateAggregator {
  private readonly sum: Float64Array;
  /** The rounding errors of `sum`, accumulated (Sum2's compensation). */
  private readonly err: Float64Array;
  private weightTotal = 0;
  private count = 0;
  private examples = 0;
  private readonly metricItems: { numExamples: number; metrics: Metrics }[] = [];

  constructor(
    readonly length: number,
    private readonly weighting: Weighting,
  ) {
    this.sum = new Float64Array(length);
    this.err = new Float64Array(length);
  }

  add(delta: Float32Array, numExamples: number, metrics: Metrics): void {
    if (delta.length !== this.length) throw new FedtuneError('FT_ERR_SHAPE', `delta has ${delta.length} elements, model has ${this.length}`);
    const w = this.weighting === 'examples' ? numExamples : 1;
    const { sum, err } = this;
    for (let i = 0; i < delta.length; i++) {
      // TwoSum(sum[i], x): s + e == sum[i] + x exactly.
      const x = w * delta[i]!;
      const a = sum[i]!;
      const s = a + x;
      const b = s - a;
      err[i]! += a - (s - b) + (x - b);
      sum[i] = s;
    }
    this.weightTotal += w;
    this.count++;
    this.examples += numExamples;
    this.metricItems.push({ numExamples: Math.max(numExamples, 1), metrics });
  }

  get size(): number {
    return this.count;
  }

  /** @throws FedtuneError FT_ERR_ROUND_ABORTED when nothing with weight was added. */
  finish(): FitAggregate {
    if (this.count === 0 || this.weightTotal <= 0) throw new FedtuneError('FT_ERR_ROUND_ABORTED', 'no weighted updates to average');
    const mean = new Float32Array(this.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (this.sum[i]! + this.err[i]!) / this.weightTotal;
    // Only names every node reported: a union over nodes would grow with the cohort.
    const metricsMax: Metrics = {};
    for (const k of Object.keys(this.metricItems[0]!.metrics)) {
      if (this.metricItems.every((m) => Number.isFinite(m.metrics[k]))) metricsMax[k] = this.metricItems.reduce((mx, m) => Math.max(mx, m.metrics[k]!), -Infinity);
    }
    return { meanDelta: mean, count: this.count, totalExamples: this.examples, metrics: weightedMetrics(this.metricItems), metricsMax };
  }
}
