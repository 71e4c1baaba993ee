// The skew-normal distribution (Azzalini 1985, "A class of distributions which includes the normal
// ones"): density (2/w) phi(z) Phi(a z), z = (x - xi)/w. Carlini et al. 2019 ("The Secret Sharer",
// section 4.2) fit it to the candidates' log-perplexities to extrapolate a canary's rank beyond the
// candidates scored. Fitted here by the method of moments (Azzalini 1985; the skewness clamped
// inside the family's range, as Pewsey 2000 advises), with the CDF's left tail integrated in log space.

export interface SkewNormal {
  /** Location xi. */
  location: number;
  /** Scale w > 0. */
  scale: number;
  /** Shape a (0: the normal). */
  shape: number;
}

/** The largest |skewness| a skew-normal reaches (a -> infinity). */
const MAX_SKEW = 0.9952717464311566;

/**
 * Method-of-moments fit.
 * @throws RangeError with fewer than 3 finite values or no spread.
 */
export function fitSkewNormal(values: ArrayLike<number>): SkewNormal {
  const n = values.length;
  if (n < 3) throw new RangeError(`fitSkewNormal needs at least 3 values, got ${n}`);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`fitSkewNormal: value ${i} is ${v}`);
    mean += v / n;
  }
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    m2 += (d * d) / n;
    m3 += (d * d * d) / n;
  }
  if (!(m2 > 0)) throw new RangeError('fitSkewNormal: the values have no spread');
  const skew = Math.max(-MAX_SKEW * 0.999, Math.min(MAX_SKEW * 0.999, m3 / m2 ** 1.5));
  // Invert skewness = ((4 - pi)/2) (d sqrt(2/pi))^3 / (1 - 2 d^2/pi)^(3/2) for d = a / sqrt(1 + a^2).
  const c = Math.cbrt((2 * Math.abs(skew)) / (4 - Math.PI));
  const delta = Math.sign(skew) * Math.sqrt(Math.PI / 2) * (c / Math.sqrt(1 + c * c));
  const scale = Math.sqrt(m2 / (1 - (2 * delta * delta) / Math.PI));
  return { location: mean - scale * delta * Math.sqrt(2 / Math.PI), scale, shape: delta / Math.sqrt(1 - delta * delta) };
}

/**
 * ln erfc(x) for x >= 0: 1 - erf(x) by its Maclaurin series below 2.5 (Abramowitz-Stegun 7.1.5),
 * Laplace's continued fraction above (A-S 7.1.14, evaluated bottom-up), so the tail keeps its
 * relative accuracy where erfc underflows any subtraction.
 */
function logErfc(x: number): number {
  if (x < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.log1p((-2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
}

/** ln Phi(x), with full relative accuracy deep in the left tail. @throws RangeError on NaN. */
export function logNormalCdf(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('logNormalCdf: x is NaN');
  if (x === -Infinity) return -Infinity;
  if (x <= 0) return Math.log(0.5) + logErfc(-x / Math.SQRT2);
  return Math.log1p(-0.5 * Math.exp(logErfc(x / Math.SQRT2)));
}

/**
 * ln F(x) of a skew-normal: ln of the integral of 2 phi(t) Phi(a t) over t < z, by the trapezoid rule
 * in log space on a grid fine where the integrand is steep; for z > 0 through 1 - F(x) of the
 * mirrored distribution. @throws RangeError on a non-finite x or an invalid distribution.
 */
export function skewNormalLogCdf(d: SkewNormal, x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`skewNormalLogCdf: x is ${x}`);
  if (!(d.scale > 0) || !Number.isFinite(d.location) || !Number.isFinite(d.shape)) throw new RangeError('skewNormalLogCdf: scale must be > 0 and location, shape finite');
  const z = (x - d.location) / d.scale;
  if (z > 0) return Math.log1p(-Math.exp(leftTail(-z, -d.shape)));
  return leftTail(z, d.shape);
}

function leftTail(z: number, a: number): number {
  const logG = (t: number): number => Math.log(2) - 0.5 * t * t - 0.5 * Math.log(2 * Math.PI) + logNormalCdf(a * t);
  const h = 1 / (200 * (1 + Math.abs(z) * (1 + Math.abs(a))));
  const top = logG(z);
  let acc = -Infinity;
  let prev = top;
  for (let s = h; s < 60; s += h) {
    const cur = logG(z - s);
    // log(exp(acc) + h (exp(prev) + exp(cur)) / 2)
    const hi = Math.max(prev, cur);
    const piece = Math.log(h / 2) + hi + Math.log(Math.exp(prev - hi) + Math.exp(cur - hi));
    const m = Math.max(acc, piece);
    acc = m + Math.log(Math.exp(acc - m) + Math.exp(piece - m));
    if (cur < top - 50 && cur < acc - 40) break;
    prev = cur;
  }
  return acc;
}
