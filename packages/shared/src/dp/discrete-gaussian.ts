// Exact discrete Gaussian sampler N_Z(0, sigma^2), P(x) proportional to exp(-x^2 / (2 sigma^2)):
// Algorithm 3 of Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy").
import type { RandomSource } from '../crypto/random.js';
import { bernoulliExpNegOne, bernoulliExpNegWith, uniformLessThan } from './bernoulli.js';
import { discreteLaplaceWith } from './discrete-laplace.js';
import { type DrawOutput, fillWithDraws } from './fill-draws.js';
import { RandomReader } from './random-reader.js';
import { isqrt, rationalToNumber, toRational, type Rational } from './rational.js';

/** Largest variance accepted: sigma <= 2^40 keeps every draw a safe integer. */
export const MAX_DISCRETE_GAUSSIAN_VARIANCE = 2 ** 80;

const TWO_M53 = 2 ** -53;
/** Relative slack on double bounds: far above the few ulps of real rounding error. */
const SLACK = 2 ** -44;

/** Options of {@link DiscreteGaussian}. */
export interface DiscreteGaussianOptions {
  /**
   * Use only bigint rational arithmetic in the final rejection step (the literal CKS20 algorithm).
   * The default fast path decides each Bernoulli with a 53-bit uniform against double bounds
   * that provably bracket the exact rational and falls back to the exact comparison when the
   * uniform lands between them, so both paths sample the same exact distribution.
   */
  readonly exactArithmetic?: boolean;
}

/**
 * A sampler for the discrete Gaussian with a fixed rational variance sigma^2 (a double is taken
 * at its exact binary value). Draws are exact: no floating-point result decides an outcome
 * unless it is certain, so the output distribution is exactly N_Z(0, sigma^2) given uniform bits.
 */
export class DiscreteGaussian {
  /** sigma^2 as an exact rational. */
  readonly variance: Rational;
  private readonly t: number;
  private readonly s2: number;
  private readonly s2OverT: number;
  private readonly exact: boolean;
  private readonly n: bigint;
  private readonly d: bigint;
  private readonly tBig: bigint;
  private readonly gammaDen: bigint;

  /**
   * @param variance sigma^2 > 0, a double or a rational.
   * @throws TypeError if variance is neither a number nor a rational.
   * @throws RangeError if variance is not finite, not > 0, or above 2^80.
   */
  constructor(variance: number | Rational, options: DiscreteGaussianOptions = {}) {
    const v = toRational('variance', variance);
    if (v.num <= 0n) throw new RangeError(`variance must be > 0, got ${typeof variance === 'number' ? variance : `${v.num}/${v.den}`}`);
    if (v.num > v.den << 80n) throw new RangeError(`variance must be <= 2^80, got ${rationalToNumber(v)}`);
    this.variance = v;
    this.exact = options.exactArithmetic === true;
    // t = floor(sigma) + 1, and floor(sqrt(x)) = floor(sqrt(floor(x))).
    this.t = Number(isqrt(v.num / v.den)) + 1;
    this.s2 = rationalToNumber(v);
    this.s2OverT = this.s2 / this.t;
    this.n = v.num;
    this.d = v.den;
    this.tBig = BigInt(this.t);
    // gamma(y) = (y - sigma^2/t)^2 / (2 sigma^2) = (y d t - n)^2 / (2 n d t^2).
    this.gammaDen = 2n * v.num * v.den * this.tBig * this.tBig;
  }

  /** One draw, using a reader (reuse one reader for many draws). */
  sampleWith(reader: RandomReader): number {
    for (;;) {
      const y = discreteLaplaceWith(reader, this.t);
      if (this.accept(reader, Math.abs(y))) return y;
    }
  }

  /** One draw from `rng`. */
  sample(rng: RandomSource): number {
    return this.sampleWith(new RandomReader(rng, 256));
  }

  /**
   * Fills `out` with independent draws. Int32Array output requires every draw to fit in 32
   * bits; choose it only for sigma well below 2^31 / 40.
   * @throws TypeError if out is not an Int32Array, Float64Array or BigInt64Array.
   * @throws RangeError if a draw does not fit an Int32Array.
   */
  fill(rng: RandomSource, out: DrawOutput): void {
    fillWithDraws(rng, out, (reader) => this.sampleWith(reader));
  }

  /** Bernoulli(exp(-gamma(y))), the rejection step of CKS20 Algorithm 3. */
  private accept(reader: RandomReader, y: number): boolean {
    if (this.exact) return this.acceptExact(reader, y);
    const diff = y - this.s2OverT;
    const g = (diff * diff) / (2 * this.s2);
    const sum = y + this.s2OverT;
    const err = ((sum * sum) / (2 * this.s2)) * SLACK + 2 ** -1000;
    const whole = Math.floor(g);
    if (Math.floor(g - err) !== whole || Math.floor(g + err) !== whole || whole > 2 ** 40) return this.acceptExact(reader, y);
    for (let i = 0; i < whole; i++) if (!bernoulliExpNegOne(reader)) return false;
    // frac = gamma - whole lies in [fLo, fHi]; Algorithm 1 on frac with certain-or-exact comparisons.
    const fLo = Math.max(0, g - whole - err);
    const fHi = Math.min(1, g - whole + err);
    let fracNum = -1n;
    let k = 1;
    for (;;) {
      const r = reader.uint53();
      const lo = (fLo / k) * (1 - SLACK);
      const hi = (fHi / k) * (1 + SLACK);
      let hit: boolean;
      if ((r + 1) * TWO_M53 <= lo) hit = true;
      else if (r * TWO_M53 >= hi) hit = false;
      else {
        if (fracNum < 0n) fracNum = this.gammaNum(y) % this.gammaDen;
        hit = uniformLessThan(reader, r, fracNum, this.gammaDen * BigInt(k));
      }
      if (!hit) break;
      k++;
    }
    return (k & 1) === 1;
  }

  private gammaNum(y: number): bigint {
    const a = BigInt(y) * this.d * this.tBig - this.n;
    return a * a;
  }

  private acceptExact(reader: RandomReader, y: number): boolean {
    return bernoulliExpNegWith(reader, this.gammaNum(y), this.gammaDen);
  }
}

/**
 * One exact draw from N_Z(0, variance).
 * @throws as {@link DiscreteGaussian}'s constructor.
 */
export function sampleDiscreteGaussian(rng: RandomSource, variance: number | Rational): number {
  return new DiscreteGaussian(variance).sample(rng);
}

/**
 * A d-dimensional vector of independent N_Z(0, variance) draws as a Float64Array (integers,
 * exact up to 2^53). For a ring, reduce each coordinate modulo the ring size after adding.
 * @throws RangeError if d is not a non-negative safe integer; otherwise as the constructor.
 */
export function discreteGaussianVector(rng: RandomSource, variance: number | Rational, d: number): Float64Array {
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new RangeError(`d must be a non-negative integer, got ${d}`);
  const out = new Float64Array(d);
  new DiscreteGaussian(variance).fill(rng, out);
  return out;
}
