// FedAvgM (Hsu, Qi, Brown 2019): server momentum on the mean delta, v <- beta v + delta,
// w <- w + eta v.
import { FedAvg } from './fedavg.js';
import { packFloats, unpackFloats, type FitAggregate } from './strategy.js';

export interface FedAvgMOptions {
  serverLearningRate?: number;
  /** Momentum beta in [0, 1). */
  momentum?: number;
}

export class FedAvgM extends FedAvg {
  override readonly name = 'fedavgm';
  private readonly beta: number;
  private velocity: Float32Array | null = null;

  constructor(options: FedAvgMOptions = {}) {
    super({ serverLearningRate: options.serverLearningRate ?? 1 });
    this.beta = options.momentum ?? 0.9;
    if (!(this.beta >= 0 && this.beta < 1)) throw new RangeError(`momentum must be in [0, 1), got ${this.beta}`);
  }

  override aggregateFit(_round: number, global: Float32Array, aggregate: FitAggregate): Float32Array {
    const d = aggregate.meanDelta;
    const v = this.velocity ?? new Float32Array(global.length);
    const out = new Float32Array(global.length);
    for (let i = 0; i < out.length; i++) {
      v[i] = this.beta * v[i]! + d[i]!;
      out[i] = global[i]! + this.eta * v[i]!;
    }
    this.velocity = v;
    return out;
  }

  saveState(): unknown {
    return { velocity: packFloats(this.velocity) };
  }

  loadState(state: unknown): void {
    this.velocity = unpackFloats((state as { velocity?: unknown }).velocity);
  }
}
