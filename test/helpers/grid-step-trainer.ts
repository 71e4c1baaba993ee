// A deterministic LocalTrainer for fault tests: each fit moves the weights half-way toward this
// node's target, rounded down to a 2^-10 grid. With a power-of-two number of nodes every global
// model and every update stays a short dyadic number: sums are exact in float64 whatever their
// order, float32 holds every value exactly, and SecAgg's randomized rounding to its power-of-two
// scale has nothing to round (so the nodes' random coins change nothing). A run's final model is
// then a pure function of the rounds it completed: a restarted run must end bit for bit where an
// uninterrupted one does.
import type { TrainConfig } from '@fedtune/shared';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '@fedtune/client';

const GRID = 2 ** -10;

export class GridStepTrainer implements LocalTrainer {
  readonly tensors;
  readonly backend = 'toy';
  private w: Float32Array;

  /** `target`: multiples of 2^-4 keep every value short. */
  constructor(private readonly target: Float32Array) {
    this.tensors = [{ name: 'w', shape: [target.length] }];
    this.w = new Float32Array(target.length);
  }

  getWeights(): Float32Array {
    return this.w.slice();
  }

  setWeights(data: Float32Array): void {
    this.w = data.slice();
  }

  async fit(_config: TrainConfig): Promise<FitOutcome> {
    for (let i = 0; i < this.w.length; i++) this.w[i] = this.w[i]! + Math.floor((0.5 * (this.target[i]! - this.w[i]!)) / GRID) * GRID;
    return { numExamples: 10, metrics: {} };
  }

  async evaluate(): Promise<EvaluateOutcome> {
    return { numExamples: 10, loss: 0, metrics: {} };
  }

  dispose(): void {}
}
