// The seam between the federated client and local training: anything that can load the global
// federated weights, train on local data and report its new weights plugs in here.
import type { Metrics, TensorSpec, TrainConfig } from '@fedtune/shared';

export interface FitOutcome {
  /** Examples seen in this fit (weights FedAvg). */
  numExamples: number;
  /** Metrics to report, e.g. { trainLoss }. Finite numbers only. */
  metrics: Metrics;
}

export interface EvaluateOutcome {
  numExamples: number;
  loss: number;
  /** e.g. { accuracy } or { perplexity }. */
  metrics: Metrics;
}

export interface LocalTrainer {
  /** The layout of the federated weights, in the order of the flat vector. */
  readonly tensors: readonly TensorSpec[];
  /** The training backend in use (tensorflow, webgpu, wasm, cpu), for logs. */
  readonly backend: string;
  /** A copy of the current federated weights, flat. */
  getWeights(): Float32Array;
  /** Replaces the federated weights. @throws RangeError on a length mismatch. */
  setWeights(data: Float32Array): void;
  /** Trains from the current weights on local data. */
  fit(config: TrainConfig): Promise<FitOutcome>;
  /** Evaluates the current weights on local validation data. */
  evaluate(config: TrainConfig): Promise<EvaluateOutcome>;
  /** Frees tensors. */
  dispose(): void;
}
