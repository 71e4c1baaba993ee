// Continuous Gaussian noise for central mode from a CSPRNG (Marsaglia polar method on 53-bit
// uniforms), with the floating-point caveat of Mironov 2012 ("On Significance of the Least
// Significant Bits for Differential Privacy", CCS) and an exact on-grid alternative.
//
// The caveat: a float sampler cannot produce every real, and which doubles value + noise can land
// on depends on value, so an attacker who sees exact bits can in principle tell neighbouring
// inputs apart (Mironov showed this for the textbook Laplace sampler). Mitigations here:
//  - uniforms carry 53 random bits (never 32), the polar method avoids trigonometric calls, and
//    the noise is generated in float64 even when the model is float32;
//  - `gaussianNoiseOnGrid` draws granularity * N_Z(0, (sigma / granularity)^2) with the exact
//    discrete Gaussian sampler. When the noised value is itself on the grid (fixed-point ring
//    units: the decoded SecAgg sum is an integer vector) the addition is exact and the privacy
//    analysis of the discrete Gaussian (CKS20: (1/2)(Delta/sigma)^2-zCDP, the same as the
//    continuous Gaussian) holds with no floating-point gap. This is the recommended central path.
import type { RandomSource } from '../crypto/random.js';
import { assertNonNegative, assertPositive } from './assert.js';
import { DiscreteGaussian } from './discrete-gaussian.js';

/** A pair of independent N(0, 1) draws (Marsaglia polar method). */
function standardPair(rng: RandomSource): [number, number] {
  for (;;) {
    const u = 2 * rng.float() - 1;
    const v = 2 * rng.float() - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    return [u * f, v * f];
  }
}

/**
 * One N(0, sigma^2) draw.
 * @throws RangeError if sigma is not a finite number >= 0.
 */
export function sampleGaussian(rng: RandomSource, sigma: number): number {
  assertNonNegative('sigma', sigma);
  return sigma === 0 ? 0 : standardPair(rng)[0] * sigma;
}

/**
 * Adds independent N(0, sigma^2) noise to every coordinate of `values`, in place (the noise is
 * computed in float64, then the sum is rounded once to the array's type).
 * @throws TypeError if values is not a Float32Array or Float64Array.
 * @throws RangeError if sigma is not a finite number >= 0.
 */
export function addGaussianNoise(rng: RandomSource, sigma: number, values: Float32Array | Float64Array): void {
  if (!(values instanceof Float32Array || values instanceof Float64Array)) {
    throw new TypeError(`values must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(values)}`);
  }
  assertNonNegative('sigma', sigma);
  if (sigma === 0) return;
  for (let i = 0; i < values.length; i += 2) {
    const [a, b] = standardPair(rng);
    values[i] = values[i]! + a * sigma;
    if (i + 1 < values.length) values[i + 1] = values[i + 1]! + b * sigma;
  }
}

/**
 * `d` draws of granularity * N_Z(0, (sigma / granularity)^2): exact discrete Gaussian noise on
 * the grid granularity * Z. With granularity a power of two and values already on that grid,
 * adding it is exact. Use granularity = 1 for noise in integer ring units.
 * @throws RangeError if sigma or granularity is not finite and > 0, d is not a non-negative
 *   integer, or (sigma / granularity)^2 exceeds 2^80.
 */
export function gaussianNoiseOnGrid(rng: RandomSource, sigma: number, granularity: number, d: number): Float64Array {
  assertPositive('sigma', sigma);
  assertPositive('granularity', granularity);
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new RangeError(`d must be a non-negative integer, got ${d}`);
  const ratio = sigma / granularity;
  const out = new Float64Array(d);
  new DiscreteGaussian(ratio * ratio).fill(rng, out);
  if (granularity !== 1) for (let i = 0; i < d; i++) out[i] = out[i]! * granularity;
  return out;
}
