// The `local-sgd` trainer: record-level DP-SGD (Abadi et al. 2016, "Deep Learning with
// Differential Privacy", Alg. 1) inside local training, each silo accounting its own epsilon.
//
// One step: Poisson-sample the silo's n records at q = batchSize / n (each record independently,
// which is what the sampled-Gaussian accounting of Mironov, Talwar, Zhang 2019 assumes; shuffled
// fixed-size batches would need a different analysis), clip each microbatch gradient's global L2
// norm to C, sum, add N(0, (z C)^2) per coordinate drawn on the host from the CSPRNG, divide by the
// expected number of microbatches (batchSize / m; the unbiased normalisation under Poisson
// sampling, never the realised count, which depends on the data set), take a plain SGD step.
//
// Accounting: each step is one sampled-Gaussian event at rate q. With per-example clipping
// (m = 1) the add/remove sensitivity of the clipped sum is C, so the event's noise multiplier is z.
// With microbatches (m > 1) one record can turn its microbatch's clipped gradient from v into v',
// both of norm <= C, so the sensitivity is 2C and the event is accounted at z / 2 (Ponomareva et
// al. 2023, "How to DP-fy ML", Sec. 5.6; TF Privacy's old compute_dp_sgd_privacy ignored this).
//
// What is not covered: the record count n (assumed public, as in every DP-SGD accountant), the
// trainLoss metric (an un-noised function of the sampled records) and evaluate()'s metrics on the
// validation set. Floating point: clipping and the update run in float32 on the device, so the
// clipped norm can exceed C by float32 rounding (relative ~1e-6); see docs/privacy.md.
import * as tf from '@tensorflow/tfjs';
import { addGaussianNoise, FedtuneError, sampledGaussianEpsilon, tensorSize, type DpEvent, type TensorSpec, type TrainConfig } from '@fedtune/shared';
import { categoricalCrossentropyPerExample, denseEngine, loopEngine, planMicrobatches, poissonSample, type ClippedSumEngine } from './dp-sgd-gradients.js';
import { assertMeetsRequest, type DpSgdApplied, type DpSgdCapable, type DpSgdRequest } from './dp-sgd-capable.js';
import { validateDpSgdOptions, type DpSgdTrainerOptions } from './dp-sgd-options.js';
import { LayersModelTrainer } from './layers-trainer.js';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from './trainer.js';

export type { DpSgdOptions, DpSgdTrainerOptions, PerExampleLoss } from './dp-sgd-options.js';

/** What {@link DpSgdTrainer.privacySpent} reports. */
export interface PrivacySpent {
  readonly epsilon: number;
  readonly delta: number;
  /** DP-SGD steps taken on this silo's records so far (including `stepsSoFar`). */
  readonly steps: number;
  readonly samplingRate: number;
  /** The noise multiplier the steps are accounted at: z, or z / 2 with microbatches. */
  readonly noiseMultiplier: number;
}

/** A sampled-Gaussian ledger event (mode 'local-sgd'), the shape PrivacyLedger entries carry. */
export type SampledGaussianEvent = Extract<DpEvent, { kind: 'sampled-gaussian' }>;

/**
 * BatchNormalization mixes the records of a batch in the forward pass (no gradient is then one
 * record's) and updates its moving statistics un-noised in training mode, so DP-SGD cannot cover it
 * (Opacus refuses it too); LayerNormalization is per-record and fine.
 */
function assertNoBatchMixing(model: tf.LayersModel): void {
  const walk = (layers: readonly tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (layer.getClassName() === 'BatchNormalization') {
        throw new RangeError(`model must not contain BatchNormalization (layer ${layer.name}): it mixes records and leaks batch statistics; use LayerNormalization`);
      }
      if (layer instanceof tf.LayersModel) walk(layer.layers);
    }
  };
  walk(model.layers);
}

/** Steps between yields to the event loop, so a long fit does not starve sockets. */
const YIELD_EVERY = 8;

/**
 * DP-SGD over a compiled tf.LayersModel. Weights, evaluation and disposal are those of
 * {@link LayersModelTrainer}; fit() is replaced by DP-SGD. Weights outside `federated` are frozen.
 */
export class DpSgdTrainer implements LocalTrainer, DpSgdCapable {
  readonly tensors: readonly TensorSpec[];
  readonly backend: string;
  /** q = batchSize / records. */
  readonly samplingRate: number;
  /** The noise multiplier each step is accounted at: z for m = 1, z / 2 for m > 1. */
  readonly accountedNoiseMultiplier: number;
  /** 'dense' (vectorised per-example gradients) or 'loop' (one backward pass per microbatch). */
  readonly engine: 'dense' | 'loop';
  private readonly inner: LayersModelTrainer;
  private readonly variables: tf.Variable[];
  private readonly size: number;
  private readonly microbatchSize: number;
  private readonly run: ClippedSumEngine;
  private stepCount: number;
  private lastEvent: SampledGaussianEvent | null = null;

  /**
   * @throws TypeError / RangeError naming the option: l2Clip not finite > 0, noiseMultiplier not
   *   finite >= 0, batchSize not an integer in [1, records], microbatchSize not an integer >= 1
   *   dividing batchSize, learningRate not finite > 0, delta not in (0, 1), malformed data, a
   *   model that is not a tf.LayersModel (TypeError) or holds BatchNormalization (RangeError).
   * @throws FedtuneError FT_ERR_CONFIG when `federated` selects no trainable weight.
   */
  constructor(private readonly o: DpSgdTrainerOptions) {
    const { microbatchSize } = validateDpSgdOptions(o);
    if (!(o.model instanceof tf.LayersModel)) throw new TypeError('model must be a compiled tf.LayersModel');
    assertNoBatchMixing(o.model);
    this.inner = new LayersModelTrainer({ model: o.model, train: o.train, validation: o.validation, random: o.random, backend: o.backend, ...(o.federated === undefined ? {} : { federated: o.federated }) });
    this.tensors = this.inner.tensors;
    this.backend = o.backend;
    const all = o.model.trainableWeights;
    const chosen = o.federated === undefined ? all : all.filter((v) => o.federated!.includes(v.originalName));
    this.variables = chosen.map((v) => v.read() as tf.Variable);
    this.size = this.tensors.reduce((s, t) => s + tensorSize(t.shape), 0);
    this.microbatchSize = microbatchSize;
    this.samplingRate = o.batchSize / o.train.labels.length;
    this.accountedNoiseMultiplier = microbatchSize === 1 ? o.noiseMultiplier : o.noiseMultiplier / 2;
    this.stepCount = o.stepsSoFar ?? 0;
    const loss = o.loss ?? categoricalCrossentropyPerExample;
    const dense = o.engine === 'loop' ? null : denseEngine(o.model, this.variables, loss);
    this.engine = dense === null ? 'loop' : 'dense';
    this.run = dense ?? loopEngine(o.model, this.variables, loss);
  }

  /** Steps taken on this silo's records so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** The ledger event of the last fit (`count` = its steps), or null before the first fit. */
  get lastFitEvent(): SampledGaussianEvent | null {
    return this.lastEvent;
  }

  /**
   * Epsilon spent so far by RDP of the Poisson-subsampled Gaussian (q, accounted z, steps).
   * Infinity when z = 0 and at least one step was taken.
   * @throws RangeError if delta is not in (0, 1).
   */
  privacySpent(delta: number = this.o.delta): PrivacySpent {
    const { epsilon } = sampledGaussianEpsilon({ samplingRate: this.samplingRate, noiseMultiplier: this.accountedNoiseMultiplier, steps: this.stepCount, delta });
    return { epsilon, delta, steps: this.stepCount, samplingRate: this.samplingRate, noiseMultiplier: this.accountedNoiseMultiplier };
  }

  getWeights(): Float32Array {
    return this.inner.getWeights();
  }

  setWeights(data: Float32Array): void {
    this.inner.setWeights(data);
  }

  evaluate(config: TrainConfig): Promise<EvaluateOutcome> {
    return this.inner.evaluate(config);
  }

  dispose(): void {
    this.inner.dispose();
  }

  /**
   * Runs DP-SGD steps: config.steps (integer >= 1) if given, else round(config.epochs / q) with
   * epochs (default 1) the expected passes over the data. Every step taken is counted, even if
   * the fit then fails. Metrics: trainLoss (mean per-example loss of the sampled records before
   * each step; omitted if none was sampled) and epsilon (so far, at options.delta; omitted when
   * infinite, i.e. z = 0).
   * @throws FedtuneError FT_ERR_CONFIG for a bad epochs / steps; FT_ERR_TRAINING for a non-finite
   *   loss or weights.
   */
  async fit(config: TrainConfig): Promise<FitOutcome> {
    const steps = this.stepsFor(config);
    const { train, random, l2Clip, noiseMultiplier, learningRate, batchSize } = this.o;
    const n = train.labels.length;
    const slotCount = batchSize / this.microbatchSize;
    const scale = learningRate / slotCount;
    const sigma = noiseMultiplier * l2Clip;
    const [xAll, yAll] = tf.tidy(() => [
      tf.tensor2d(train.features, [n, train.numFeatures]),
      tf.cast(tf.oneHot(tf.tensor1d(train.labels, 'int32'), train.numClasses), 'float32') as tf.Tensor2D,
    ]);
    let lossTotal: tf.Tensor = tf.scalar(0);
    let records = 0;
    const startSteps = this.stepCount;
    try {
      for (let s = 0; s < steps; s++) {
        const rows = poissonSample(n, this.samplingRate, random);
        const plan = planMicrobatches(rows.length, this.microbatchSize, slotCount, random);
        const noise = new Float32Array(this.size);
        addGaussianNoise(random, sigma, noise);
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(rows, 'int32');
          const { sums, lossSum } = this.run(tf.gather(xAll, idx), tf.gather(yAll, idx), plan, l2Clip);
          let offset = 0;
          this.variables.forEach((v, i) => {
            const part = tf.tensor(noise.subarray(offset, offset + v.size), v.shape);
            offset += v.size;
            v.assign(tf.sub(v, tf.mul(tf.add(sums[i]!, part), scale)));
          });
          return tf.add(lossTotal, lossSum);
        });
        lossTotal.dispose();
        lossTotal = next;
        this.stepCount++;
        records += rows.length;
        if (s % YIELD_EVERY === YIELD_EVERY - 1) await tf.nextFrame();
      }
      const total = (await lossTotal.data())[0]!;
      const trainLoss = records > 0 ? total / records : 0;
      if (!Number.isFinite(trainLoss)) throw new FedtuneError('FT_ERR_TRAINING', `training loss is ${trainLoss}`);
      await this.refreshHost();
      const { epsilon } = this.privacySpent();
      const metrics: Record<string, number> = {};
      if (records > 0) metrics.trainLoss = trainLoss;
      if (Number.isFinite(epsilon)) metrics.epsilon = epsilon;
      return { numExamples: steps * batchSize, metrics };
    } finally {
      tf.dispose([xAll, yAll, lossTotal]);
      this.lastEvent = { kind: 'sampled-gaussian', samplingRate: this.samplingRate, noiseMultiplier: this.accountedNoiseMultiplier, count: this.stepCount - startSteps };
    }
  }

  /**
   * A local-sgd round's fit: {@link fit}, after checking this trainer's fixed noise meets the
   * request, and what it applied. @throws FedtuneError FT_ERR_DP_REFUSED; otherwise as fit.
   */
  async fitDpSgd(config: TrainConfig, request: DpSgdRequest): Promise<FitOutcome & { applied: DpSgdApplied }> {
    assertMeetsRequest(request, this.accountedNoiseMultiplier);
    const out = await this.fit(config);
    const { epsilon } = this.privacySpent(request.delta);
    return { ...out, applied: { noiseMultiplier: this.accountedNoiseMultiplier, l2Clip: this.o.l2Clip, epsilon, delta: request.delta } };
  }

  private stepsFor(config: TrainConfig): number {
    const { steps, epochs } = config;
    if (steps !== undefined) {
      if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 1) throw new FedtuneError('FT_ERR_CONFIG', `steps must be an integer >= 1, got ${String(steps)}`);
      return steps;
    }
    const e = epochs === undefined ? 1 : epochs;
    if (typeof e !== 'number' || !Number.isFinite(e) || !(e > 0)) throw new FedtuneError('FT_ERR_CONFIG', `epochs must be a finite number > 0, got ${String(e)}`);
    const out = Math.max(1, Math.round(e / this.samplingRate));
    if (!Number.isSafeInteger(out)) throw new FedtuneError('FT_ERR_CONFIG', `epochs ${e} gives too many steps`);
    return out;
  }

  /** Reads the trained weights back asynchronously (webgpu cannot dataSync in Node) into the host copy. */
  private async refreshHost(): Promise<void> {
    const parts = await Promise.all(this.variables.map((v) => v.data() as Promise<Float32Array>));
    const flat = new Float32Array(this.size);
    let offset = 0;
    for (const p of parts) {
      for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i]!)) throw new FedtuneError('FT_ERR_TRAINING', 'weights are not finite after training');
      flat.set(p, offset);
      offset += p.length;
    }
    // Re-writes the same values; it is what refreshes LayersModelTrainer's host copy.
    this.inner.setWeights(flat);
  }
}
