// FedAvg (McMahan et al. 2017) as a server step: w <- w + eta * mean delta. With eta = 1 and an
// example-weighted mean this is exactly the weighted average of the local models.
import { weightedEvaluate, type EvaluateReport, type FitAggregate, type Strategy } from './strategy.js';
import type { TrainConfig } from '@fedtune/shared';

export interface FedAvgOptions {
  /** Server learning rate; 1 reproduces plain FedAvg. */
  serverLearningRate?: number;
}

export class FedAvg implements Strategy {
  readonly name: string = 'fedavg';
  protected readonly eta: number;

  constructor(options: FedAvgOptions = {}) {
    this.eta = options.serverLearningRate ?? 1;
    if (!(this.eta > 0) || !Number.isFinite(this.eta)) throw new RangeError(`serverLearningRate must be > 0, got ${this.eta}`);
  }

  configureFit(_round: number, base: TrainConfig): TrainConfig {
    return base;
  }

  aggregateFit(_round: number, global: Float32Array, aggregate: FitAggregate): Float32Array {
    const out = new Float32Array(global.length);
    const d = aggregate.meanDelta;
    for (let i = 0; i < out.length; i++) out[i] = global[i]! + this.eta * d[i]!;
    return out;
  }

  configureEvaluate(_round: number, base: TrainConfig): TrainConfig {
    return base;
  }

  aggregateEvaluate(_round: number, reports: readonly EvaluateReport[]) {
    return weightedEvaluate(reports);
  }
}
