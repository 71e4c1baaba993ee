// Rényi DP of the Gaussian mechanism and of the Poisson-subsampled Gaussian mechanism, following
// Mironov, Talwar, Zhang 2019 ("Rényi Differential Privacy of the Sampled Gaussian Mechanism",
// arXiv:1908.10530): exact binomial expansion of A_alpha for integer orders (Sec. 3.2) and the
// two-sided series with erfc terms for fractional orders (Sec. 3.3). Add-or-remove-one adjacency.
import { assertFinite, assertNonNegative, assertProbability } from '../assert.js';
import { logAdd, logErfc } from './special.js';

/** Terms summed at most in the fractional-order series before the order is given up as +Infinity. */
const MAX_FRACTIONAL_TERMS = 1000;

function assertOrder(order: number): void {
  if (typeof order !== 'number') throw new TypeError(`order must be a number, got ${typeof order}`);
  if (Number.isNaN(order) || !(order > 1)) throw new RangeError(`order must be > 1, got ${order}`);
}

/**
 * RDP of the Gaussian mechanism with noise multiplier z (noise stddev / L2 sensitivity) at
 * order alpha: alpha / (2 z^2). z = 0 gives +Infinity.
 * @throws RangeError if z is not finite and >= 0, or order is not > 1 (Infinity allowed).
 */
export function rdpGaussian(noiseMultiplier: number, order: number): number {
  assertNonNegative('noiseMultiplier', noiseMultiplier);
  assertOrder(order);
  if (noiseMultiplier === 0 || order === Infinity) return Infinity;
  return order / (2 * noiseMultiplier * noiseMultiplier);
}

/** log A_alpha for integer alpha, 0 < q < 1: log sum_i C(alpha,i) q^i (1-q)^(alpha-i) e^((i^2-i)/(2 s^2)). */
function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoS2 = 2 * sigma * sigma;
  let logA = -Infinity;
  let logBinom = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const s = logBinom + i * logQ + (alpha - i) * log1mQ + (i * i - i) / twoS2;
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * log A_alpha for fractional alpha, 0 < q < 1 (MTZ19 Sec. 3.3): A_alpha = A_0 + A_1, the halves
 * of the integral split at z0 = sigma^2 log(1/q - 1) + 1/2, each a series in i with generalized
 * binomial coefficients (summed in absolute value: a bound from above, as dp_accounting does; it
 * can be loose for large sigma and moderate q, e.g. 1.8x at q = 0.05, z = 6.3, alpha = 1.5, which
 * only makes that order useless, never the bound unsafe). Returns +Infinity when the series does
 * not settle within MAX_FRACTIONAL_TERMS terms (the order is then effectively skipped).
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoS2 = 2 * sigma * sigma;
  const sqrt2S = Math.SQRT2 * sigma;
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  let logBinom = 0; // log |C(alpha, i)|, generalized
  for (let i = 0; i < MAX_FRACTIONAL_TERMS; i++) {
    if (i > 0) logBinom += Math.log(Math.abs((alpha - i + 1) / i));
    const j = alpha - i;
    const logT0 = logBinom + i * logQ + j * log1mQ;
    const logT1 = logBinom + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2S);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2S);
    const logS0 = logT0 + (i * i - i) / twoS2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoS2 + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  return Infinity;
}

/**
 * RDP at `order` of one Poisson-subsampled Gaussian mechanism: each record is in the batch
 * independently with probability q, and the batch's sum of clipped contributions gets
 * N(0, (z C)^2) noise. q = 0 gives 0; q = 1 gives alpha / (2 z^2); z = 0 gives +Infinity.
 * Integer orders use the exact binomial expansion, fractional orders the MTZ19 series.
 * @throws RangeError if q is not in [0, 1], z is not finite and >= 0, or order is not > 1.
 */
export function rdpSampledGaussian(samplingRate: number, noiseMultiplier: number, order: number): number {
  assertProbability('samplingRate', samplingRate);
  assertNonNegative('noiseMultiplier', noiseMultiplier);
  assertOrder(order);
  if (samplingRate === 0) return 0;
  if (order === Infinity || noiseMultiplier === 0) return Infinity;
  if (samplingRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logA = Number.isInteger(order) ? logAInteger(samplingRate, noiseMultiplier, order) : logAFractional(samplingRate, noiseMultiplier, order);
  return logA / (order - 1);
}

/**
 * {@link rdpSampledGaussian} at every order, times `count` compositions (RDP adds).
 * @throws RangeError as rdpSampledGaussian, or if count is not a non-negative integer.
 */
export function rdpSampledGaussianOrders(samplingRate: number, noiseMultiplier: number, orders: readonly number[], count = 1): Float64Array {
  assertFinite('count', count);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const out = new Float64Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const r = rdpSampledGaussian(samplingRate, noiseMultiplier, orders[k]!);
    out[k] = r === 0 || count === 0 ? 0 : r * count;
  }
  return out;
}
