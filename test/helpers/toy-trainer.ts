// A pure-JS LocalTrainer for end-to-end tests: one tensor, and fit moves the weights a fixed
// fraction toward this node's target, so FedAvg's fixed point is the example-weighted mean
// target and every expected value can be computed by hand.
import type { TrainConfig } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '@fedtune/client';

export interface ToyTrainerOptions {
  target: Float32Array;
  numExamples?: number;
  /** Step toward the target per fit, in (0, 1]. */
  rate?: number;
  /** Called before fit returns; a test may hold it (straggler) or corrupt the weights. */
  beforeReturn?: (weights: Float32Array, round: number) => Promise<void> | void;
  /** Report these weights instead (e.g. a wrong length). */
  override?: () => Float32Array;
}

export class ToyTrainer implements LocalTrainer {
  readonly tensors;
  readonly backend = 'toy';
  private w: Float32Array;
  fits = 0;

  constructor(private readonly o: ToyTrainerOptions) {
    this.tensors = [{ name: 'w', shape: [o.target.length] }];
    this.w = new Float32Array(o.target.length);
  }

  getWeights(): Float32Array {
    return this.o.override?.() ?? this.w.slice();
  }

  setWeights(data: Float32Array): void {
    if (data.length !== this.w.length) throw new RangeError(`toy: ${data.length} != ${this.w.length}`);
    this.w = data.slice();
  }

  async fit(_config: TrainConfig): Promise<FitOutcome> {
    const rate = this.o.rate ?? 1;
    for (let i = 0; i < this.w.length; i++) this.w[i]! += rate * (this.o.target[i]! - this.w[i]!);
    this.fits++;
    await this.o.beforeReturn?.(this.w, this.fits);
    return { numExamples: this.o.numExamples ?? 10, metrics: { trainLoss: this.loss() } };
  }

  async evaluate(): Promise<EvaluateOutcome> {
    return { numExamples: this.o.numExamples ?? 10, loss: this.loss(), metrics: { accuracy: 1 / (1 + this.loss()) } };
  }

  dispose(): void {}

  private loss(): number {
    let s = 0;
    for (let i = 0; i < this.w.length; i++) s += (this.w[i]! - this.o.target[i]!) ** 2;
    return s / this.w.length;
  }
}
