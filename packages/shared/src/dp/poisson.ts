// Exact Poisson(lambda) sampler for a rational lambda: von Neumann rejection (Devroye 1986, "Non-Uniform
// Random Variate Generation", Sec. II.3) from a staircase envelope over the log-concave pmf (in the
// spirit of Devroye 1987, "A simple generator for discrete log-concave distributions", Computing 39),
// with every acceptance probability a rational decided exactly as in Canonne, Kamath, Steinke 2020.
import type { RandomSource } from '../crypto/random.js';
import { uniformLessThan } from './bernoulli.js';
import { PoissonLogRatio } from './poisson-log-pmf.js';
import { type DrawOutput, fillWithDraws } from './fill-draws.js';
import { RandomReader } from './random-reader.js';
import { rationalToNumber, toRational, type Rational } from './rational.js';

/** Largest rate accepted: draws stay far below 2^53 and the envelope's total weight below 2^40. */
export const MAX_POISSON_LAMBDA = 2 ** 50;

/** Envelope steps 2^0 .. 2^-(STEPS-1) at certified breakpoints, then a geometric tail. */
const STEPS = 10;
const TWO_M32 = 2 ** -32;
const LN2 = Math.LN2;

/** Options of {@link Poisson}. */
export interface PoissonOptions {
  /**
   * Decide every acceptance and breakpoint with bigint rationals only (slow: products of |k - m|
   * factors). The default decides with a 32-bit uniform against a certified double bracket of the
   * acceptance probability and falls back to the same bigint comparison when the uniform lands
   * inside the bracket, so both paths sample the same exact distribution.
   */
  readonly exactArithmetic?: boolean;
}

/** prod_{i=lo}^{hi} i as a bigint (1 when lo > hi), by binary splitting. */
function rangeProduct(lo: number, hi: number): bigint {
  if (lo > hi) return 1n;
  if (hi - lo < 24) {
    let p = BigInt(lo);
    for (let i = lo + 1; i <= hi; i++) p *= BigInt(i);
    return p;
  }
  const mid = Math.floor((lo + hi) / 2);
  return rangeProduct(lo, mid) * rangeProduct(mid + 1, hi);
}

/** One side of the envelope in the offset i >= 0: j = i on the right, j = -(i + 1) on the left. */
interface Side {
  readonly right: boolean;
  /** x[0] = 0 <= x[1] <= ... <= x[STEPS]: R <= 2^-c on [x[c], x[c+1]). */
  readonly x: readonly number[];
  /** Width of each tail block past x[STEPS]; 0 when the tail lies outside the support. */
  readonly tail: number;
}

/**
 * A sampler for Poisson(lambda), P(k) = e^-lambda lambda^k / k!, for a fixed rational lambda (a
 * double is taken at its exact binary value). Draws are exact given uniform bits.
 *
 * Algorithm. With m = floor(lambda) (a mode), R(j) = p(m + j) / p(m) <= 1 decreases away from 0 on
 * both sides, and ln R is concave (p(k+1)/p(k) = lambda/(k+1) decreases: the pmf is log-concave).
 * On each side, in the offset i >= 0 (j = i right, j = -(i+1) left), the constructor certifies
 * breakpoints 0 = x_0 <= x_1 <= ... <= x_10 with R <= 2^-c from x_c on, so the staircase 2^-c on
 * [x_c, x_c+1) lies above R; past x_10, concavity (a chord from R = 1) gives R <= 2^-(10+t) on tail
 * blocks of width ceil(x_10 / 10) (right; (x_10 + 1) / 10 left). A point is proposed with
 * probability proportional to its step height 2^-c (one uniform integer over the steps' total
 * weight; Geometric(1/2) coin flips and a uniform for the tail) and accepted with probability
 * A = R(j) 2^c <= 1: von Neumann rejection, so the output is exactly p(k). R(j) is the rational
 * prod lambda/(m+i) (right) or prod (m-i)/lambda (left), so A is a rational and its Bernoulli is an
 * exact comparison with a lazily drawn uniform (CKS20's technique). The envelope has about 1.27
 * times the pmf's mass for large lambda: about 1.27 proposals per draw.
 *
 * Fast path. Forming R(j) exactly needs a product of |j| factors (|j| ~ sqrt(lambda): 10^4
 * factors at lambda = 10^8), too slow per draw. Instead ln A is evaluated in doubles with a
 * certified error bound (Loader 2000's bd0/stirlerr form, see poisson-log-pmf.ts), which brackets
 * A in [lo, hi]; the first 32 bits of the uniform decide whenever their interval lies outside the
 * bracket, and only otherwise (probability about 3 x 10^-10 per proposal) is A formed exactly. No
 * floating-point value decides an outcome unless it is certain, so large lambda is not biased;
 * the trade-off is the rare bigint fallback, whose cost grows like sqrt(lambda) log(lambda) bits
 * (milliseconds at lambda = 10^8, about a second at 10^12).
 */
export class Poisson {
  /** lambda as an exact rational. */
  readonly lambda: Rational;
  private readonly exact: boolean;
  private readonly p: bigint;
  private readonly q: bigint;
  private readonly m: number;
  private readonly logRatio: PoissonLogRatio;
  private readonly scratch = { value: 0, error: 0 };
  /** Proposal table: entry e covers [cum[e], cum[e+1]) of the total weight, unit 2^-STEPS. */
  private readonly cum: number[] = [0];
  private readonly entrySide: Side[] = [];
  /** The step c of entry e, or -1 for a tail entry. */
  private readonly entryStep: number[] = [];

  /**
   * @param lambda the rate, a double or a rational, > 0.
   * @throws TypeError if lambda is neither a number nor a rational.
   * @throws RangeError if lambda is not finite, not > 0, or above 2^50.
   */
  constructor(lambda: number | Rational, options: PoissonOptions = {}) {
    const r = toRational('lambda', lambda);
    if (r.num <= 0n) throw new RangeError(`lambda must be > 0, got ${typeof lambda === 'number' ? lambda : `${r.num}/${r.den}`}`);
    if (r.num > r.den << 50n) throw new RangeError(`lambda must be <= 2^50, got ${rationalToNumber(r)}`);
    this.lambda = r;
    this.exact = options.exactArithmetic === true;
    this.p = r.num;
    this.q = r.den;
    this.m = Number(r.num / r.den);
    // rationalToNumber is exact for a double input; otherwise within 2^-50 relative.
    this.logRatio = new PoissonLogRatio(this.m, rationalToNumber(r), typeof lambda === 'number' ? 0 : 2 ** -50);
    const sides = [this.side(true), this.side(false)];
    // Steps of both sides interleaved, heaviest first, so the linear search ends early.
    for (let c = 0; c < STEPS; c++) {
      for (const s of sides) this.addEntry(s, c, (s.x[c + 1]! - s.x[c]!) * 2 ** (STEPS - c));
    }
    for (const s of sides) this.addEntry(s, -1, 2 * s.tail); // sum_t tail 2^-(STEPS+t) = 2 tail 2^-STEPS
  }

  /** One draw, using a reader (reuse one reader for many draws). */
  sampleWith(reader: RandomReader): number {
    const cum = this.cum;
    const total = cum[cum.length - 1]!;
    for (;;) {
      const u = reader.int(total);
      let e = 0;
      while (u >= cum[e + 1]!) e++;
      const side = this.entrySide[e]!;
      let c = this.entryStep[e]!;
      let i: number;
      if (c >= 0) {
        // Each point of step c holds 2^(STEPS-c) units of weight: uniform within the step.
        i = side.x[c]! + Math.floor((u - cum[e]!) * 2 ** (c - STEPS));
      } else {
        let t = 0;
        while (reader.bit() === 1) t++;
        c = STEPS + t;
        i = side.x[STEPS]! + t * side.tail + reader.int(side.tail);
      }
      const j = side.right ? i : -(i + 1);
      if (j === 0) return this.m; // A = R(0) 2^0 = 1
      if (this.m + j < 0) continue; // R = 0
      if (this.accept(reader, j, c)) return this.m + j;
    }
  }

  /** One draw from `rng`. */
  sample(rng: RandomSource): number {
    return this.sampleWith(new RandomReader(rng, 256));
  }

  /**
   * Fills `out` with independent draws.
   * @throws TypeError if out is not an Int32Array, Float64Array or BigInt64Array.
   * @throws RangeError if a draw does not fit an Int32Array.
   */
  fill(rng: RandomSource, out: DrawOutput): void {
    fillWithDraws(rng, out, (reader) => this.sampleWith(reader));
  }

  /**
   * Bernoulli(R(j) 2^c), exactly: U < A for a uniform U whose bits are drawn 32 at a time. The
   * first 32 bits decide against the certified bracket of A unless they straddle it (probability
   * about 2^-32 plus the bracket width); then the bits so far are compared with the exact fraction.
   */
  private accept(reader: RandomReader, j: number, c: number): boolean {
    const r = reader.uint32();
    if (!this.exact) {
      const s = this.scratch;
      this.logRatio.at(this.m + j, s);
      const lnA = s.value + c * LN2;
      const err = s.error + c * LN2 * 2 ** -50;
      if (err < 0.01) {
        if (lnA + err < -700) {
          if (r > 0) return false; // U >= 2^-32 > A
        } else {
          const e = Math.exp(lnA);
          const slack = 2 * err + 2 ** -50;
          if ((r + 1) * TWO_M32 <= e * (1 - slack)) return true;
          if (r * TWO_M32 >= e * (1 + slack)) return false;
        }
      }
    }
    const [num, den] = this.ratio(j);
    return uniformLessThan(reader, r, num << BigInt(c), den, 32);
  }

  /** R(j) = p(m + j) / p(m) as an exact fraction [num, den]; m + j >= 0. */
  private ratio(j: number): [bigint, bigint] {
    if (j >= 0) {
      const e = BigInt(j);
      return [this.p ** e, this.q ** e * rangeProduct(this.m + 1, this.m + j)];
    }
    const e = BigInt(-j);
    return [this.q ** e * rangeProduct(this.m + j + 1, this.m), this.p ** e];
  }

  /** Is R(j) <= 2^-c for sure? (ln R + error < -c ln 2, or exactly in bigint mode.) */
  private below(j: number, c: number): boolean {
    if (this.m + j < 0) return true; // R = 0
    if (this.exact) {
      const [num, den] = this.ratio(j);
      return num << BigInt(c) <= den;
    }
    const s = this.scratch;
    this.logRatio.at(this.m + j, s);
    return s.value + s.error < -c * LN2 * (1 + 2 ** -50);
  }

  /**
   * Certified breakpoints of one side, each near the smallest offset with R <= 2^-c (doubling
   * then bisection on the certified test; any certified point keeps the envelope valid, only
   * efficiency depends on minimality), and the tail width from concavity: ln R at offset i is
   * below the chord from the anchor a (R(a) = 1; a = 0 right, -1 left) through x_10, so
   * R <= 2^-(10 (i - a) / (x_10 - a)) <= 2^-(10 + t) from x_10 + t ceil((x_10 - a) / 10) on.
   */
  private side(right: boolean): Side {
    const toJ = (i: number): number => (right ? i : -(i + 1));
    const cap = right ? Infinity : this.m; // left offset m is k = -1: R = 0
    const x = [0];
    for (let c = 1; c <= STEPS; c++) {
      const ok = (i: number): boolean => i >= cap || this.below(toJ(i), c);
      let lo = x[c - 1]!;
      if (ok(lo)) {
        x.push(lo);
        continue;
      }
      let step = Math.max(1, Math.floor(Math.sqrt(this.m + 1) / 4));
      let hi = Math.min(cap, lo + step);
      while (!ok(hi)) {
        lo = hi;
        step *= 2;
        hi = Math.min(cap, hi + step);
      }
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (ok(mid)) hi = mid;
        else lo = mid;
      }
      x.push(Math.min(hi, cap));
    }
    const last = x[STEPS]!;
    const anchor = right ? 0 : -1;
    const tail = last >= cap ? 0 : Math.ceil((last - anchor) / STEPS);
    return { right, x, tail };
  }

  private addEntry(side: Side, step: number, weight: number): void {
    if (weight === 0) return;
    this.cum.push(this.cum[this.cum.length - 1]! + weight);
    this.entrySide.push(side);
    this.entryStep.push(step);
  }
}

/**
 * One exact draw from Poisson(lambda).
 * @throws as {@link Poisson}'s constructor.
 */
export function samplePoisson(rng: RandomSource, lambda: number | Rational): number {
  return new Poisson(lambda).sample(rng);
}
