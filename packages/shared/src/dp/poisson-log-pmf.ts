// Double-precision log of Poisson pmf ratios with a certified error bound, for the fast path of the
// exact Poisson sampler: the saddle-point form of Loader 2000 ("Fast and Accurate Computation of
// Binomial Probabilities"), ln p(k) = -bd0(k, lambda) - ln(2 pi k)/2 - stirlerr(k).

/**
 * Relative bound on the rounding error of a sum of a few dozen correctly rounded operations
 * (and of Math.log/Math.exp, which V8 computes within 1 ulp), taken against the sum of the
 * magnitudes of the terms: 2^-40 is 8192 ulps, over a hundred times the worst-case count of
 * roundings below, so the bracket holds with a wide margin (a test checks it against bigint values).
 */
const REL = 2 ** -40;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln(n!) - (n + 1/2) ln n + n - ln(2 pi)/2 for n = 1..15, from exact n! (exact in a double). */
const STIRLERR_SMALL: readonly { v: number; s: number }[] = (() => {
  const out: { v: number; s: number }[] = [{ v: 0, s: 0 }];
  let fact = 1;
  for (let n = 1; n < 16; n++) {
    fact *= n;
    const lf = Math.log(fact);
    const a = (n + 0.5) * Math.log(n);
    out.push({ v: lf - a + n - HALF_LOG_2PI, s: lf + a + n + HALF_LOG_2PI });
  }
  return out;
})();

/** A value and the absolute error bound of its double evaluation. */
export interface Bracketed {
  readonly value: number;
  readonly error: number;
}

// Outputs of logPmfShifted, in module scope so the sampler's hot path allocates nothing.
let outS = 0;
let outT = 0;

/**
 * g(k) = ln p(k) + ln(2 pi)/2 for Poisson(lambda), k >= 0 an integer. Also sets outS, the sum of
 * the magnitudes of its terms (scaled by REL into an error bound by the caller), and outT, an
 * absolute truncation bound.
 */
function logPmfShifted(k: number, lambda: number): number {
  if (k === 0) {
    outS = lambda + 1;
    outT = 0;
    return -lambda + HALF_LOG_2PI;
  }
  // stirlerr(k): the Stirling series, whose remainder for real k > 0 is below the first omitted
  // term (here 691 / (360360 k^11)); exact-factorial table below 16.
  let st: number;
  let s: number;
  let t = 0;
  if (k < 16) {
    const e = STIRLERR_SMALL[k]!;
    st = e.v;
    s = e.s;
  } else {
    const r = 1 / k;
    const r2 = r * r;
    st = r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))));
    s = st;
    t = (691 / 360360) * r2 * r2 * r2 * r2 * r2 * r;
  }
  // bd0(k, lambda) = k ln(k / lambda) + lambda - k >= 0, by Loader's series near k = lambda.
  const d = k - lambda;
  const sum = k + lambda;
  let bd: number;
  if (Math.abs(d) < 0.1 * sum) {
    const v = d / sum;
    const v2 = v * v;
    bd = d * v;
    let mag = bd;
    let ej = 2 * k * v;
    for (let j = 1; j < 60; j++) {
      ej *= v2;
      const term = ej / (2 * j + 1);
      bd += term;
      const a = Math.abs(term);
      mag += a;
      if (a <= bd * 2 ** -60) {
        t += a; // the rest is below term * v2 / (1 - v2) < term / 99
        break;
      }
    }
    s += mag;
  } else {
    const a = k * Math.log(k / lambda);
    bd = a + lambda - k;
    s += Math.abs(a) + lambda + k;
  }
  const hl = 0.5 * Math.log(k);
  outS = s + hl + Math.abs(bd) + Math.abs(st);
  outT = t;
  return -bd - hl - st;
}

/**
 * ln(p(k) / p(m)) for Poisson(lambda) and integers k, m >= 0, with an absolute error bound that
 * provably covers the double evaluation. `lambdaRelError` is a bound on |lambda - exact| / lambda
 * when `lambda` only approximates the exact rate (d/d lambda of the result is (k - m) / lambda).
 * @throws TypeError if lambda is not a number.
 * @throws RangeError if k or m is not a non-negative safe integer or lambda is not finite and > 0.
 */
export function poissonLogPmfRatio(k: number, m: number, lambda: number, lambdaRelError = 0): Bracketed {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  if (!Number.isSafeInteger(m) || m < 0) throw new RangeError(`m must be a non-negative integer, got ${m}`);
  if (typeof lambda !== 'number') throw new TypeError(`lambda must be a number, got ${typeof lambda}`);
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new RangeError(`lambda must be finite and > 0, got ${lambda}`);
  const out = { value: 0, error: 0 };
  new PoissonLogRatio(m, lambda, lambdaRelError).at(k, out);
  return out;
}

/** As {@link poissonLogPmfRatio} with the g(m) half precomputed (the sampler's hot path). */
export class PoissonLogRatio {
  private readonly gm: number;
  private readonly gmS: number;
  private readonly gmT: number;
  private readonly lamErr: number;

  /** @param lambdaRelError as in {@link poissonLogPmfRatio}. */
  constructor(
    private readonly m: number,
    private readonly lambda: number,
    lambdaRelError: number,
  ) {
    this.gm = logPmfShifted(m, lambda);
    this.gmS = outS;
    this.gmT = outT;
    this.lamErr = 4 * lambdaRelError;
  }

  /** ln(p(k) / p(m)) with its error bound written into `out` (no allocation). */
  at(k: number, out: { value: number; error: number }): void {
    if (k === this.m) {
      out.value = 0;
      out.error = 0;
      return;
    }
    const value = logPmfShifted(k, this.lambda) - this.gm;
    out.value = value;
    out.error = REL * (outS + this.gmS + Math.abs(value)) + outT + this.gmT + Math.abs(k - this.m) * this.lamErr;
  }
}
