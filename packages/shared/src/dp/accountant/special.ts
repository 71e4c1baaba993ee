// Log-space helpers and log(erfc(x)) for the accountants (JavaScript has no erfc). erf uses the
// all-positive series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (2n+1)!! (Abramowitz and
// Stegun 7.1.6); the tail uses the Laplace continued fraction for erfc (A&S 7.1.14), evaluated
// with the modified Lentz method (Press et al., Numerical Recipes 3rd ed., Sec. 5.2).

/** log(exp(a) + exp(b)) without overflow; -Infinity is log 0. */
export function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** erf(x) for 0 <= x < 3 by the positive series (no cancellation). */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

/** log of the continued fraction value f with erfc(x) = e^(-x^2) / (sqrt(pi) f), x >= 2. */
function logErfcTailDenominator(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = f;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    d = 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.log(f);
}

/** erfc(x) for finite x (underflows to 0 past x ~ 26.5; use {@link logErfc} there). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  return Math.exp(logErfc(x));
}

/** log(erfc(x)), accurate for large x (no underflow). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (x < 0) return Math.log(2 - erfc(-x));
  if (x < 2) return Math.log(1 - erfSeries(x));
  return -x * x - LOG_SQRT_PI - logErfcTailDenominator(x);
}
