// Exact symmetric Skellam noise Sk(mu) = Poisson(mu) - Poisson(mu) (variance 2 mu), the noise of the
// Skellam mechanism of Agarwal, Kairouz, Liu 2021 ("The Skellam Mechanism for Differentially Private
// Federated Learning", NeurIPS, arXiv:2110.04995), from two exact Poisson draws (poisson.ts).
import type { RandomSource } from '../crypto/random.js';
import { Poisson, type PoissonOptions } from './poisson.js';
import { type DrawOutput, fillWithDraws } from './fill-draws.js';
import { RandomReader } from './random-reader.js';
import { rational, rationalToNumber, toRational, type Rational } from './rational.js';

/** Options of {@link Skellam}: as {@link PoissonOptions}. */
export type SkellamOptions = PoissonOptions;

/**
 * A sampler for the symmetric Skellam distribution Sk(mu): the difference of two independent
 * Poisson(mu) draws, P(x) = e^(-2 mu) I_|x|(2 mu), mean 0, variance 2 mu. Sums of independent
 * Skellams are Skellam (rates add), so n nodes each adding Sk(mu / n) give exactly Sk(mu): the
 * property that makes it the noise of distributed DP over secure aggregation. Note the paper's
 * parameter is the variance: its Sk_{0,mu} is this class's Sk(mu / 2) (see {@link Skellam.fromVariance}).
 */
export class Skellam {
  /** mu, the rate of each Poisson, as an exact rational. */
  readonly mu: Rational;
  /** 2 mu, the variance, as an exact rational. */
  readonly variance: Rational;
  private readonly poisson: Poisson;

  /**
   * @param mu the rate of each of the two Poissons, a double or a rational, > 0.
   * @throws TypeError if mu is neither a number nor a rational.
   * @throws RangeError if mu is not finite, not > 0, or above 2^50 (MAX_POISSON_LAMBDA).
   */
  constructor(mu: number | Rational, options: SkellamOptions = {}) {
    this.poisson = new Poisson(toRationalNamed('mu', mu, 50n), options);
    this.mu = this.poisson.lambda;
    this.variance = rational(2n * this.mu.num, this.mu.den);
  }

  /**
   * The Skellam with the given variance (each Poisson at rate variance / 2, exactly).
   * @throws TypeError if variance is neither a number nor a rational.
   * @throws RangeError if variance is not finite, not > 0, or above 2^51.
   */
  static fromVariance(variance: number | Rational, options: SkellamOptions = {}): Skellam {
    const v = toRationalNamed('variance', variance, 51n);
    return new Skellam(rational(v.num, 2n * v.den), options);
  }

  /** One draw, using a reader (reuse one reader for many draws). */
  sampleWith(reader: RandomReader): number {
    return this.poisson.sampleWith(reader) - this.poisson.sampleWith(reader);
  }

  /** One draw from `rng`. */
  sample(rng: RandomSource): number {
    return this.sampleWith(new RandomReader(rng, 256));
  }

  /**
   * Fills `out` with independent draws. Int32Array output requires every draw to fit in 32
   * bits; choose it only for sqrt(2 mu) well below 2^31 / 40.
   * @throws TypeError if out is not an Int32Array, Float64Array or BigInt64Array.
   * @throws RangeError if a draw does not fit an Int32Array.
   */
  fill(rng: RandomSource, out: DrawOutput): void {
    fillWithDraws(rng, out, (reader) => this.sampleWith(reader));
  }
}

/** toRational checked to lie in (0, 2^maxLog2], with messages naming the caller's argument. */
function toRationalNamed(name: string, x: number | Rational, maxLog2: bigint): Rational {
  const r = toRational(name, x);
  if (r.num <= 0n) throw new RangeError(`${name} must be > 0, got ${typeof x === 'number' ? x : `${r.num}/${r.den}`}`);
  if (r.num > r.den << maxLog2) throw new RangeError(`${name} must be <= 2^${maxLog2}, got ${rationalToNumber(r)}`);
  return r;
}

/**
 * One exact draw from Sk(mu) = Poisson(mu) - Poisson(mu).
 * @throws as {@link Skellam}'s constructor.
 */
export function sampleSkellam(rng: RandomSource, mu: number | Rational): number {
  return new Skellam(mu).sample(rng);
}

/**
 * A d-dimensional vector of independent Sk(mu) draws as a Float64Array (integers, exact up to
 * 2^53). For a ring, reduce each coordinate modulo the ring size after adding.
 * @throws RangeError if d is not a non-negative safe integer; otherwise as the constructor.
 */
export function skellamVector(rng: RandomSource, mu: number | Rational, d: number): Float64Array {
  if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new RangeError(`d must be a non-negative integer, got ${d}`);
  const out = new Float64Array(d);
  new Skellam(mu).fill(rng, out);
  return out;
}
