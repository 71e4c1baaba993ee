// Adaptive clipping: the clip norm tracks a target quantile of update norms with a geometric
// update driven by a privately counted "unclipped" bit. Andrew, Thakkar, McMahan, Ramaswamy 2021
// ("Differentially Private Learning with Adaptive Clipping", NeurIPS), with the defaults and the
// noise split of TensorFlow Federated's DifferentiallyPrivateFactory.gaussian_adaptive
// (tensorflow_federated/python/aggregators/differential_privacy.py, adaptive_clip_noise_params).
import { assertNonNegative, assertPositive, assertProbability } from './assert.js';

/** TFF gaussian_adaptive defaults. */
export const ADAPTIVE_CLIP_DEFAULTS = {
  /** Initial clip norm C_0 (TFF initial_l2_norm_clip). */
  initialClip: 0.1,
  /** gamma, the quantile of update norms the clip adapts to (TFF target_unclipped_quantile). */
  targetUnclippedQuantile: 0.5,
  /** eta_C of the geometric update (TFF learning_rate). */
  learningRate: 0.2,
  /** sigma_b defaults to this fraction of the expected clients per round (TFF clipped_count_stddev). */
  clippedCountStddevFraction: 0.05,
} as const;

/** How the total noise multiplier is split between the update and the clipped-count bit. */
export interface AdaptiveNoiseSplit {
  /** z_delta: the noise multiplier applied to the clipped updates (>= the total z). */
  readonly valueNoiseMultiplier: number;
  /** sigma_b: the stddev of the noise on the summed (bit - 1/2) records. */
  readonly clippedCountStddev: number;
}

/**
 * Splits the total noise multiplier z between the update sum and the clipped-count sum so the
 * pair is as private as one Gaussian mechanism with multiplier z (Andrew et al. 2021, Sec. 3.1):
 * the count records are b - 1/2 with sensitivity 1/2, so its multiplier is 2 sigma_b and
 * z^-2 = z_delta^-2 + (2 sigma_b)^-2, i.e. z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2).
 * Account the round with the total z; add noise with z_delta to the update and sigma_b to the count.
 *
 * @param noiseMultiplier total z >= 0 (0 disables noise: both outputs 0 unless sigma_b is given).
 * @param expectedClientsPerRound > 0; sigma_b defaults to 0.05 times it.
 * @param clippedCountStddev sigma_b >= 0, optional.
 * @throws RangeError for a non-finite or out-of-range argument, or when z >= 2 sigma_b (no
 *   z_delta exists: raise sigma_b or lower z).
 */
export function splitAdaptiveNoise(noiseMultiplier: number, expectedClientsPerRound: number, clippedCountStddev?: number): AdaptiveNoiseSplit {
  assertNonNegative('noiseMultiplier', noiseMultiplier);
  assertPositive('expectedClientsPerRound', expectedClientsPerRound);
  if (clippedCountStddev !== undefined) assertNonNegative('clippedCountStddev', clippedCountStddev);
  if (noiseMultiplier === 0) return { valueNoiseMultiplier: 0, clippedCountStddev: clippedCountStddev ?? 0 };
  const sigmaB = clippedCountStddev ?? ADAPTIVE_CLIP_DEFAULTS.clippedCountStddevFraction * expectedClientsPerRound;
  if (noiseMultiplier >= 2 * sigmaB) {
    throw new RangeError(`noiseMultiplier ${noiseMultiplier} must be < 2 * clippedCountStddev = ${2 * sigmaB}; raise clippedCountStddev or lower noiseMultiplier`);
  }
  return { valueNoiseMultiplier: (noiseMultiplier ** -2 - (2 * sigmaB) ** -2) ** -0.5, clippedCountStddev: sigmaB };
}

/** The inverse of the split: the total z of a (z_delta, sigma_b) pair, for accounting. */
export function combinedNoiseMultiplier(valueNoiseMultiplier: number, clippedCountStddev: number): number {
  assertPositive('valueNoiseMultiplier', valueNoiseMultiplier);
  assertPositive('clippedCountStddev', clippedCountStddev);
  return (valueNoiseMultiplier ** -2 + (2 * clippedCountStddev) ** -2) ** -0.5;
}

/**
 * A node's clipped-count record: b - 1/2 with b = 1 when the update norm is <= the clip (it was
 * not clipped). Centring at 0 halves the sensitivity to 1/2. Aggregate it like the delta.
 * @throws RangeError if norm or clip is not finite, or negative.
 */
export function unclippedBitRecord(norm: number, clip: number): -0.5 | 0.5 {
  assertNonNegative('norm', norm);
  assertNonNegative('clip', clip);
  return norm <= clip ? 0.5 : -0.5;
}

/** Options of {@link updateAdaptiveClip}. */
export interface AdaptiveClipOptions {
  targetUnclippedQuantile?: number;
  learningRate?: number;
}

/**
 * The geometric clip update C <- C * exp(-eta_C (b_bar - gamma)) with
 * b_bar = noisedRecordSum / expectedClientsPerRound + 1/2, clamped to [0, 1] (as TF Privacy's
 * quantile estimator does; post-processing, so free of privacy cost).
 *
 * @param clip the current clip norm C > 0.
 * @param noisedRecordSum the sum of the nodes' {@link unclippedBitRecord} plus N(0, sigma_b^2).
 * @param expectedClientsPerRound the expected number of records, > 0.
 * @throws RangeError for a non-finite or out-of-range argument.
 */
export function updateAdaptiveClip(clip: number, noisedRecordSum: number, expectedClientsPerRound: number, options: AdaptiveClipOptions = {}): number {
  assertPositive('clip', clip);
  if (typeof noisedRecordSum !== 'number' || !Number.isFinite(noisedRecordSum)) throw new RangeError(`noisedRecordSum must be finite, got ${noisedRecordSum}`);
  assertPositive('expectedClientsPerRound', expectedClientsPerRound);
  const gamma = options.targetUnclippedQuantile ?? ADAPTIVE_CLIP_DEFAULTS.targetUnclippedQuantile;
  const eta = options.learningRate ?? ADAPTIVE_CLIP_DEFAULTS.learningRate;
  assertProbability('targetUnclippedQuantile', gamma);
  assertNonNegative('learningRate', eta);
  const bBar = Math.min(1, Math.max(0, noisedRecordSum / expectedClientsPerRound + 0.5));
  return clip * Math.exp(-eta * (bBar - gamma));
}
