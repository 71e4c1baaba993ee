// A pure-JS LocalTrainer whose local step adds a chosen vector to the weights (so every update is
// known exactly to a test playing an adversary), and which records every model it receives.
import type { TrainConfig } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '@fedtune/client';

export class FixedStepTrainer implements LocalTrainer {
  readonly tensors;
  readonly backend = 'toy';
  private w: Float32Array;
  /** Every weight vector set before a fit: the global models as this node received them. */
  readonly received: Float32Array[] = [];
  fits = 0;

  /** `step` gives the vector added at each fit; it may throw to make the node fail that round. */
  constructor(
    readonly dimension: number,
    private readonly step: (fit: number) => Float32Array,
  ) {
    this.tensors = [{ name: 'w', shape: [dimension] }];
    this.w = new Float32Array(dimension);
  }

  getWeights(): Float32Array {
    return this.w.slice();
  }

  setWeights(data: Float32Array): void {
    this.received.push(data.slice());
    this.w = data.slice();
  }

  async fit(_config: TrainConfig): Promise<FitOutcome> {
    const s = this.step(++this.fits);
    for (let i = 0; i < this.dimension; i++) this.w[i] = this.w[i]! + s[i]!;
    return { numExamples: 1, metrics: {} };
  }

  async evaluate(): Promise<EvaluateOutcome> {
    return { numExamples: 0, loss: 0, metrics: {} };
  }

  dispose(): void {}
}
