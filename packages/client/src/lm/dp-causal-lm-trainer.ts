// Record-level DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy", Alg. 1) for
// the causal language-model trainer: the `local-sgd` mode for gpt-tiny and other GptModels.
//
// The record is one packed training row (TokenBatch row, `seqLen` tokens). One step: Poisson-sample
// the n rows at q = batchSize / n (geometric gaps, as the sampled-Gaussian accounting of Mironov,
// Talwar, Zhang 2019 assumes), take each sampled row's gradient of its masked mean loss w.r.t. the
// federated variables only (one tf.variableGrads per row), clip it to global L2 norm C, sum, add
// N(0, (zC)^2) per coordinate drawn on the host from the CSPRNG, divide by the expected batch size
// q n (never the realised count, which depends on the data), then apply AdamW (or plain SGD).
// Everything after the noise is post-processing; the trainer's own grad-norm clipping is off,
// since clipping is per row now. Accounting: each step is one sampled-Gaussian event at (q, z).
//
// Not covered: n (public, as in every DP-SGD accountant), the un-noised trainLoss metric and
// evaluate()'s metrics on the validation rows. A document packed across k rows, or repeated in k
// rows, is protected at group privacy about k epsilon. Float32 caveats as in dp-sgd-trainer.ts.
import * as tf from '@tensorflow/tfjs';
import { addGaussianNoise, FedtuneError, sampledGaussianEpsilon, type TensorSpec, type TrainConfig } from '@fedtune/shared';
import { poissonSample } from '../training/dp-sgd-gradients.js';
import { assertDeltaOption, assertIntegerOption, assertNonNegativeOption, assertPositiveOption } from '../training/dp-sgd-options.js';
import { assertMeetsRequest, type DpSgdApplied, type DpSgdCapable, type DpSgdRequest } from '../training/dp-sgd-capable.js';
import type { PrivacySpent, SampledGaussianEvent } from '../training/dp-sgd-trainer.js';
import type { EvaluateOutcome, FitOutcome, LocalTrainer } from '../training/trainer.js';
import { AdamW } from './adamw.js';
import { CausalLmTrainer, LM_TRAIN_DEFAULTS, type CausalLmTrainerOptions } from './causal-lm-trainer.js';
import { maskedLoss, type TokenBatch } from './loss.js';
import type { GptModel } from './model.js';
import { selectRows } from './text-data.js';

export interface DpCausalLmOptions {
  /** C: each row's gradient (global L2 norm over the federated tensors) is clipped to C. */
  l2Clip: number;
  /** z: noise stddev z C per coordinate on the clipped sum. 0 means no privacy (epsilon Infinity). */
  noiseMultiplier: number;
  /** Expected rows per step; q = batchSize / train rows. Fixed here because q is part of the guarantee. */
  batchSize: number;
  /** The delta at which fit() reports epsilon, and privacySpent()'s default. */
  delta: number;
  /** 'adamw' (default; learningRate and weightDecay from the TrainConfig) or plain 'sgd'. */
  optimizer?: 'adamw' | 'sgd';
  /** Steps already taken on these rows (resume accounting after a restart). Default 0. */
  stepsSoFar?: number;
}

export type DpCausalLmTrainerOptions = CausalLmTrainerOptions & DpCausalLmOptions;

/**
 * A LocalTrainer running DP-SGD on a GptModel. Weights, evaluation and disposal are those of an
 * inner {@link CausalLmTrainer} over the same model; fit() is replaced.
 */
export class DpCausalLmTrainer implements LocalTrainer, DpSgdCapable {
  readonly tensors: readonly TensorSpec[];
  readonly backend: string;
  readonly model: GptModel;
  /** q = batchSize / train rows. */
  readonly samplingRate: number;
  private readonly inner: CausalLmTrainer;
  private readonly variables: tf.Variable[];
  private readonly size: number;
  private stepCount: number;
  private lastEvent: SampledGaussianEvent | null = null;

  /**
   * @throws TypeError / RangeError naming the option: l2Clip not finite > 0, noiseMultiplier not
   *   finite >= 0, batchSize not an integer in [1, train rows], delta not in (0, 1), stepsSoFar not
   *   an integer >= 0, an unknown optimizer; and whatever CausalLmTrainer throws.
   */
  constructor(private readonly o: DpCausalLmTrainerOptions) {
    if (o === null || typeof o !== 'object') throw new TypeError('DpCausalLmTrainer: options must be an object');
    assertPositiveOption('l2Clip', o.l2Clip);
    assertNonNegativeOption('noiseMultiplier', o.noiseMultiplier);
    assertIntegerOption('batchSize', o.batchSize, 1);
    assertDeltaOption('delta', o.delta);
    if (o.stepsSoFar !== undefined) assertIntegerOption('stepsSoFar', o.stepsSoFar, 0);
    if (o.optimizer !== undefined && o.optimizer !== 'adamw' && o.optimizer !== 'sgd') throw new RangeError(`optimizer must be 'adamw' or 'sgd', got ${String(o.optimizer)}`);
    if (o.train === null || typeof o.train !== 'object' || !Number.isSafeInteger(o.train.rows)) throw new TypeError('train must be a TokenBatch');
    if (o.train.rows < 1) throw new RangeError('train must hold at least one row');
    if (o.batchSize > o.train.rows) throw new RangeError(`batchSize must be <= the ${o.train.rows} training rows, got ${o.batchSize}`);
    this.inner = new CausalLmTrainer(o);
    this.model = o.model;
    this.tensors = this.inner.tensors;
    this.backend = o.backend;
    const federate = o.federate ?? (o.model.lora !== undefined ? 'lora' : 'all');
    const named = federate === 'lora' ? o.model.loraVariables() : [...o.model.baseVariables(), ...o.model.loraVariables()];
    // Same selection as the inner trainer; the flat layouts must agree.
    if (named.length !== this.tensors.length || named.some((v, i) => v.name !== this.tensors[i]!.name)) throw new Error('DpCausalLmTrainer: variable order differs from CausalLmTrainer');
    this.variables = named.map((v) => v.variable);
    this.size = this.variables.reduce((s, v) => s + v.size, 0);
    this.samplingRate = o.batchSize / o.train.rows;
    this.stepCount = o.stepsSoFar ?? 0;
  }

  /** Steps taken on these rows so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** The ledger event of the last fit (`count` = its steps), or null before the first fit. */
  get lastFitEvent(): SampledGaussianEvent | null {
    return this.lastEvent;
  }

  /**
   * Epsilon so far by RDP of the Poisson-subsampled Gaussian (q, z, steps); Infinity when z = 0
   * after a step. @throws RangeError if delta is not in (0, 1).
   */
  privacySpent(delta: number = this.o.delta): PrivacySpent {
    const { epsilon } = sampledGaussianEpsilon({ samplingRate: this.samplingRate, noiseMultiplier: this.o.noiseMultiplier, steps: this.stepCount, delta });
    return { epsilon, delta, steps: this.stepCount, samplingRate: this.samplingRate, noiseMultiplier: this.o.noiseMultiplier };
  }

  async syncWeights(): Promise<void> {
    await this.inner.syncWeights();
  }

  get trainData(): TokenBatch {
    return this.inner.trainData;
  }

  get validationData(): TokenBatch {
    return this.inner.validationData;
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
   * The privatized gradient of one step on train rows `rows` (ascending, from poissonSample):
   * (sum of per-row gradients clipped to C + N(0, (zC)^2 I)) / (q n), one tensor per federated
   * variable (the caller disposes them), and the sum of the rows' losses. Draws noise from `random`.
   * Does not count a step: fit() does.
   */
  privatizedGradient(rows: Int32Array): { grads: tf.Tensor[]; lossSum: tf.Scalar } {
    const { l2Clip, noiseMultiplier, random } = this.o;
    const dropout = this.model.lora !== undefined && this.model.lora.dropout > 0;
    let sums: tf.Tensor[] = this.variables.map((v) => tf.zerosLike(v));
    let lossSum: tf.Scalar = tf.scalar(0);
    try {
      for (const r of rows) {
        const row = selectRows(this.o.train, [r]);
        const seed = dropout ? random.uint32() : undefined;
        const next = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => maskedLoss(this.model, row, seed).loss, this.variables);
          const gs = this.variables.map((v) => grads[v.name]!);
          // Pairwise adds, not addN: WebGPU caps storage buffers per shader.
          const sq = gs.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b));
          // min(1, C / norm): a zero gradient keeps factor 1; a NaN stays NaN and fails the loss check.
          const factor = tf.minimum(1, tf.div(l2Clip, tf.sqrt(sq)));
          return { sums: sums.map((s, i) => tf.add(s, tf.mul(gs[i]!, factor))), lossSum: tf.add(lossSum, value) as tf.Scalar };
        });
        tf.dispose([...sums, lossSum]);
        ({ sums, lossSum } = next);
      }
      const noise = new Float32Array(this.size);
      addGaussianNoise(random, noiseMultiplier * l2Clip, noise);
      const expected = this.samplingRate * this.o.train.rows;
      let offset = 0;
      const grads = tf.tidy(() =>
        this.variables.map((v, i) => {
          const part = tf.tensor(noise.subarray(offset, offset + v.size), v.shape, 'float32');
          offset += v.size;
          return tf.div(tf.add(sums[i]!, part), expected);
        }),
      );
      return { grads, lossSum };
    } catch (e) {
      lossSum.dispose();
      throw e;
    } finally {
      tf.dispose(sums);
    }
  }

  /**
   * Runs DP-SGD steps: config.steps (integer >= 1) if given, else round(epochs / q), epochs
   * (default 1) the expected passes. learningRate and weightDecay come from the config (defaults
   * of LM_TRAIN_DEFAULTS); batchSize and maxGradNorm in the config are ignored (fixed by the
   * options; clipping is per row). Every step taken is counted, even if the fit then fails.
   * Metrics: trainLoss (mean loss of the sampled rows; omitted if none was sampled), steps, and
   * epsilon at options.delta (omitted when infinite, z = 0).
   * @throws FedtuneError FT_ERR_CONFIG for bad epochs / steps / learningRate / weightDecay;
   *   FT_ERR_TRAINING for a non-finite loss.
   */
  async fit(config: TrainConfig): Promise<FitOutcome> {
    const steps = this.stepsFor(config);
    const lr = this.hyper(config, 'learningRate');
    const wd = this.hyper(config, 'weightDecay');
    const adam = this.o.optimizer === 'sgd' ? null : new AdamW(this.variables, { learningRate: lr, weightDecay: wd });
    const start = this.stepCount;
    let lossSum = 0;
    let records = 0;
    try {
      for (let s = 0; s < steps; s++) {
        const rows = poissonSample(this.o.train.rows, this.samplingRate, this.o.random);
        const g = this.privatizedGradient(rows);
        if (adam !== null) adam.step(g.grads);
        else tf.tidy(() => this.variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(g.grads[i]!, lr)))));
        tf.dispose(g.grads);
        this.stepCount++;
        const loss = (await g.lossSum.data())[0]!;
        g.lossSum.dispose();
        if (!Number.isFinite(loss)) throw new FedtuneError('FT_ERR_TRAINING', `loss became ${loss} at step ${s}`);
        lossSum += loss;
        records += rows.length;
      }
    } finally {
      adam?.dispose();
      this.lastEvent = { kind: 'sampled-gaussian', samplingRate: this.samplingRate, noiseMultiplier: this.o.noiseMultiplier, count: this.stepCount - start };
    }
    await this.inner.syncWeights();
    const { epsilon } = this.privacySpent();
    const metrics: Record<string, number> = { steps };
    if (records > 0) metrics['trainLoss'] = lossSum / records;
    if (Number.isFinite(epsilon)) metrics['epsilon'] = epsilon;
    return { numExamples: steps * this.o.batchSize, metrics };
  }

  /**
   * A local-sgd round's fit: {@link fit}, after checking this trainer's fixed noise meets the
   * request, and what it applied. @throws FedtuneError FT_ERR_DP_REFUSED; otherwise as fit.
   */
  async fitDpSgd(config: TrainConfig, request: DpSgdRequest): Promise<FitOutcome & { applied: DpSgdApplied }> {
    assertMeetsRequest(request, this.o.noiseMultiplier);
    const out = await this.fit(config);
    const { epsilon } = this.privacySpent(request.delta);
    return { ...out, applied: { noiseMultiplier: this.o.noiseMultiplier, l2Clip: this.o.l2Clip, epsilon, delta: request.delta } };
  }

  private hyper(config: TrainConfig, key: 'learningRate' | 'weightDecay'): number {
    const v = config[key] ?? LM_TRAIN_DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FedtuneError('FT_ERR_CONFIG', `${key} must be a finite non-negative number, got ${String(v)}`);
    return v;
  }

  private stepsFor(config: TrainConfig): number {
    const { steps, epochs } = config;
    if (steps !== undefined) {
      if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 1) throw new FedtuneError('FT_ERR_CONFIG', `steps must be an integer >= 1, got ${String(steps)}`);
      return steps;
    }
    const e = epochs ?? 1;
    if (typeof e !== 'number' || !Number.isFinite(e) || !(e > 0)) throw new FedtuneError('FT_ERR_CONFIG', `epochs must be a finite number > 0, got ${String(e)}`);
    const out = Math.max(1, Math.round(e / this.samplingRate));
    if (!Number.isSafeInteger(out)) throw new FedtuneError('FT_ERR_CONFIG', `epochs ${e} gives too many steps`);
    return out;
  }
}

/** Builds a DP trainer and reads its initial weights. */
export async function createDpCausalLmTrainer(options: DpCausalLmTrainerOptions): Promise<DpCausalLmTrainer> {
  const trainer = new DpCausalLmTrainer(options);
  await trainer.syncWeights();
  return trainer;
}
