// Calibration: the smallest noise multiplier z whose composed guarantee meets a target epsilon at
// delta, by bisection on z (epsilon is non-increasing in z for every accountant here; see
// Mironov, Talwar, Zhang 2019 for the sampled Gaussian's RDP, monotone in sigma at every order).
import { assertDelta, assertInteger, assertPositive, assertProbability } from '../assert.js';
import { FedtuneError } from '../../errors/catalogue.js';
import type { RdpConversion } from './conversion.js';
import { sampledGaussianEpsilon } from './rdp-accountant.js';

/** Inputs of {@link calibrateNoiseMultiplier}. */
export interface CalibrationQuery {
  readonly targetEpsilon: number;
  readonly delta: number;
  /** epsilon(z) for the caller's accountant; must be non-increasing in z. */
  readonly epsilonFor: (noiseMultiplier: number) => number;
  /** Relative tolerance on z (default 1e-9). */
  readonly tolerance?: number | undefined;
}

/** Largest noise multiplier searched before giving up. */
export const MAX_NOISE_MULTIPLIER = 1e6;

/**
 * The smallest z (to a relative tolerance) with epsilonFor(z) <= targetEpsilon. The returned z
 * always satisfies the target (it is the upper end of the final bracket).
 * @throws RangeError if targetEpsilon is not finite and > 0 or delta is not in (0, 1).
 * @throws FedtuneError FT_ERR_CONFIG if even z = 1e6 does not reach the target.
 */
export function calibrateNoiseMultiplier(query: CalibrationQuery): number {
  assertPositive('targetEpsilon', query.targetEpsilon);
  assertDelta('delta', query.delta);
  if (typeof query.epsilonFor !== 'function') throw new TypeError('epsilonFor must be a function');
  const tol = query.tolerance ?? 1e-9;
  assertPositive('tolerance', tol);
  const target = query.targetEpsilon;
  const ok = (z: number): boolean => query.epsilonFor(z) <= target;
  let hi = 1;
  while (!ok(hi)) {
    hi *= 2;
    if (hi > MAX_NOISE_MULTIPLIER) throw new FedtuneError('FT_ERR_CONFIG', `no noise multiplier <= ${MAX_NOISE_MULTIPLIER} reaches epsilon ${target}`);
  }
  let lo = hi / 2;
  if (ok(lo)) {
    // Walk down: the answer may be far below 1.
    while (lo > 1e-12 && ok(lo)) {
      hi = lo;
      lo /= 2;
    }
    if (ok(lo)) return lo;
  }
  while ((hi - lo) / hi > tol) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Inputs of {@link noiseMultiplierForEpsilon}. */
export interface SampledGaussianCalibration {
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly samplingRate: number;
  /** Rounds (or steps), an integer >= 1. */
  readonly steps: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
  readonly tolerance?: number;
}

/**
 * The smallest noise multiplier z such that `steps` Poisson-subsampled Gaussian rounds at rate q
 * are (targetEpsilon, delta)-DP under the RDP accountant.
 * @throws RangeError for invalid inputs (q must be in (0, 1], steps an integer >= 1).
 * @throws FedtuneError FT_ERR_CONFIG if no z <= 1e6 reaches the target.
 */
export function noiseMultiplierForEpsilon(query: SampledGaussianCalibration): number {
  assertProbability('samplingRate', query.samplingRate);
  if (query.samplingRate === 0) throw new RangeError('samplingRate must be > 0 to calibrate (q = 0 needs no noise)');
  assertInteger('steps', query.steps, 1);
  return calibrateNoiseMultiplier({
    targetEpsilon: query.targetEpsilon,
    delta: query.delta,
    tolerance: query.tolerance,
    epsilonFor: (z) =>
      sampledGaussianEpsilon({
        samplingRate: query.samplingRate,
        noiseMultiplier: z,
        steps: query.steps,
        delta: query.delta,
        orders: query.orders,
        conversion: query.conversion,
      }).epsilon,
  });
}
