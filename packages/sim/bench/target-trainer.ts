// For benchmarks that measure the coordinator, not training: the lightest honest LocalTrainer.
import type { LocalTrainer } from '@fedtune/client';
import type { TrainConfig } from '@fedtune/shared';

/** Moves its weights to a fixed target each fit (no tfjs work). */
export class TargetTrainer implements LocalTrainer {
  readonly tensors;
  readonly backend = 'bench';
  private w: Float32Array;
  constructor(private readonly target: Float32Array) {
    this.tensors = [{ name: 'w', shape: [target.length] }];
    this.w = new Float32Array(target.length);
  }
  getWeights = () => this.w.slice();
  setWeights = (d: Float32Array) => void (this.w = d.slice());
  fit = async (_c: TrainConfig) => ((this.w = this.target.slice()), { numExamples: 10, metrics: {} });
  evaluate = async () => ({ numExamples: 10, loss: 0, metrics: {} });
  dispose = () => {};
}
