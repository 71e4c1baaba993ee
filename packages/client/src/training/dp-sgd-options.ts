// Options of the DP-SGD trainer (Abadi et al. 2016, "Deep Learning with Differential Privacy") and
// their validation: noble-style asserters that name the option and build the message on failure.
import type { RandomSource } from '@fedtune/shared';
import type { LayersTrainerOptions } from './layers-trainer.js';
import type * as tf from '@tensorflow/tfjs';
import type { LabelledData } from '../data/dataset.js';

/** Per-example loss: one value per row of `yTrue` / `yPred` (shape [rows]). */
export type PerExampleLoss = (yTrue: tf.Tensor2D, yPred: tf.Tensor) => tf.Tensor1D;

/** The DP-SGD knobs. */
export interface DpSgdOptions {
  /** C: each microbatch's gradient (global L2 norm over all trained tensors) is clipped to C. */
  l2Clip: number;
  /** z: the noise on the clipped sum has stddev z * C per coordinate. 0 means no privacy (epsilon = Infinity). */
  noiseMultiplier: number;
  /** Expected batch size; the Poisson sampling rate is q = batchSize / records. */
  batchSize: number;
  /**
   * 1 (default): per-example clipping. m > 1: batchSize / m microbatch slots per step, each
   * sampled record placed in a slot uniformly at random, the slot's mean-loss gradient clipped.
   * One record then moves its slot's clipped gradient by up to 2C, so the step is accounted with
   * noise multiplier z / 2 (see {@link DpSgdTrainer.accountedNoiseMultiplier}). Must divide batchSize.
   */
  microbatchSize?: number;
  /** Plain SGD step size. */
  learningRate: number;
  /** The delta at which fit() reports epsilon, and privacySpent()'s default. */
  delta: number;
}

export interface DpSgdTrainerOptions extends DpSgdOptions, LayersTrainerOptions {
  /** Poisson sampling and the Gaussian noise; required, and a CSPRNG outside tests. */
  random: RandomSource;
  backend: string;
  /** Per-example training loss; default categorical cross-entropy on probabilities (buildMlp's compiled loss). */
  loss?: PerExampleLoss;
  /**
   * 'auto' (default): the vectorised dense path when the model is a stack of Dense layers on flat
   * inputs, else the per-microbatch loop. 'loop' forces the loop (any model; slow).
   */
  engine?: 'auto' | 'loop';
  /** Steps already taken on this silo's records (resume accounting after a restart). Default 0. */
  stepsSoFar?: number;
}

function describe(v: unknown): string {
  return typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v;
}

function assertNumber(name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new RangeError(`${name} must be finite, got ${v}`);
}

/** Throws unless v is a finite number > 0. */
export function assertPositiveOption(name: string, v: unknown): asserts v is number {
  assertNumber(name, v);
  if (!(v > 0)) throw new RangeError(`${name} must be > 0, got ${v}`);
}

/** Throws unless v is a finite number >= 0. */
export function assertNonNegativeOption(name: string, v: unknown): asserts v is number {
  assertNumber(name, v);
  if (!(v >= 0)) throw new RangeError(`${name} must be >= 0, got ${v}`);
}

/** Throws unless v is a safe integer >= min. */
export function assertIntegerOption(name: string, v: unknown, min: number): asserts v is number {
  assertNumber(name, v);
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

/** Throws unless v is a delta in (0, 1). */
export function assertDeltaOption(name: string, v: unknown): asserts v is number {
  assertNumber(name, v);
  if (!(v > 0 && v < 1)) throw new RangeError(`${name} must be in (0, 1), got ${v}`);
}

function assertLabelled(name: string, d: unknown): asserts d is LabelledData {
  if (d === null || typeof d !== 'object') throw new TypeError(`${name} must be a LabelledData object, got ${describe(d)}`);
  const { features, labels, numFeatures, numClasses } = d as LabelledData;
  if (!(features instanceof Float32Array)) throw new TypeError(`${name}.features must be a Float32Array`);
  if (!(labels instanceof Int32Array)) throw new TypeError(`${name}.labels must be an Int32Array`);
  assertIntegerOption(`${name}.numFeatures`, numFeatures, 1);
  assertIntegerOption(`${name}.numClasses`, numClasses, 1);
  if (features.length !== labels.length * numFeatures) {
    throw new RangeError(`${name}.features has ${features.length} values, expected ${labels.length} x ${numFeatures}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new RangeError(`${name}.labels[${i}] must be in [0, ${numClasses}), got ${l}`);
  }
}

/**
 * Checks every option and returns the microbatch size (default 1).
 * @throws TypeError for a wrong type, RangeError for a value out of range (the message names the option).
 */
export function validateDpSgdOptions(o: DpSgdTrainerOptions): { microbatchSize: number } {
  if (o === null || typeof o !== 'object') throw new TypeError(`options must be an object, got ${describe(o)}`);
  assertPositiveOption('l2Clip', o.l2Clip);
  assertNonNegativeOption('noiseMultiplier', o.noiseMultiplier);
  assertIntegerOption('batchSize', o.batchSize, 1);
  const microbatchSize = o.microbatchSize === undefined ? 1 : o.microbatchSize;
  assertIntegerOption('microbatchSize', microbatchSize, 1);
  if (o.batchSize % microbatchSize !== 0) {
    throw new RangeError(`microbatchSize must divide batchSize, got ${microbatchSize} for batchSize ${o.batchSize}`);
  }
  assertPositiveOption('learningRate', o.learningRate);
  assertDeltaOption('delta', o.delta);
  assertLabelled('train', o.train);
  assertLabelled('validation', o.validation);
  if (o.train.labels.length === 0) throw new RangeError('train must hold at least one record');
  if (o.batchSize > o.train.labels.length) {
    throw new RangeError(`batchSize must be <= the ${o.train.labels.length} training records, got ${o.batchSize}`);
  }
  if (o.random === null || typeof o.random !== 'object' || typeof o.random.float !== 'function' || typeof o.random.int !== 'function') {
    throw new TypeError('random must be a RandomSource');
  }
  if (o.engine !== undefined && o.engine !== 'auto' && o.engine !== 'loop') throw new RangeError(`engine must be 'auto' or 'loop', got ${String(o.engine)}`);
  if (o.loss !== undefined && typeof o.loss !== 'function') throw new TypeError(`loss must be a function, got ${describe(o.loss)}`);
  if (o.stepsSoFar !== undefined) assertIntegerOption('stepsSoFar', o.stepsSoFar, 0);
  return { microbatchSize };
}
