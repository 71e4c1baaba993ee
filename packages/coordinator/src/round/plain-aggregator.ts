// Streaming weighted mean of deltas in float64: each update is folded in as it completes and
// then released, so memory is one accumulator plus the updates in flight.
import { FedtuneError, type Metrics } from '@fedtune/shared';
import { weightedMetrics, type FitAggregate } from '../strategy/strategy.js';

export type Weighting = 'examples' | 'uniform';

export class PlainAggregator {
  private readonly sum: Float64Array;
  private weightTotal = 0;
  private count = 0;
  private examples = 0;
  private readonly metricItems: { numExamples: number; metrics: Metrics }[] = [];

  constructor(
    readonly length: number,
    private readonly weighting: Weighting,
  ) {
    this.sum = new Float64Array(length);
  }

  add(delta: Float32Array, numExamples: number, metrics: Metrics): void {
    if (delta.length !== this.length) throw new FedtuneError('FT_ERR_SHAPE', `delta has ${delta.length} elements, model has ${this.length}`);
    const w = this.weighting === 'examples' ? numExamples : 1;
    for (let i = 0; i < delta.length; i++) this.sum[i]! += w * delta[i]!;
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
    for (let i = 0; i < mean.length; i++) mean[i] = this.sum[i]! / this.weightTotal;
    // Only names every node reported: a union over nodes would grow with the cohort.
    const metricsMax: Metrics = {};
    for (const k of Object.keys(this.metricItems[0]!.metrics)) {
      if (this.metricItems.every((m) => Number.isFinite(m.metrics[k]))) metricsMax[k] = this.metricItems.reduce((mx, m) => Math.max(mx, m.metrics[k]!), -Infinity);
    }
    return { meanDelta: mean, count: this.count, totalExamples: this.examples, metrics: weightedMetrics(this.metricItems), metricsMax };
  }
}
