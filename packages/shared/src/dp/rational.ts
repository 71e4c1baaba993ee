// Exact non-negative rationals over bigint, for the exact samplers of Canonne, Kamath, Steinke 2020
// ("The Discrete Gaussian for Differential Privacy"), where every probability must be a rational.

/** A rational num/den in lowest terms, den > 0. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * The rational num/den in lowest terms.
 * @throws TypeError if an argument is neither a bigint nor a safe integer number.
 * @throws RangeError if den is 0.
 */
export function rational(num: bigint | number, den: bigint | number = 1n): Rational {
  const n = toBigInt('num', num);
  let d = toBigInt('den', den);
  if (d === 0n) throw new RangeError('den must be non-zero, got 0');
  let nn = n;
  if (d < 0n) {
    nn = -nn;
    d = -d;
  }
  const g = gcd(nn, d);
  return g > 1n ? { num: nn / g, den: d / g } : { num: nn, den: d };
}

function toBigInt(name: string, v: bigint | number): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number') throw new TypeError(`${name} must be a bigint or an integer, got ${typeof v}`);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} must be a safe integer, got ${v}`);
  return BigInt(v);
}

/**
 * The exact value of a finite double as a rational (every double is m * 2^e).
 * @throws TypeError if x is not a number. @throws RangeError if x is NaN or infinite.
 */
export function rationalFromNumber(x: number): Rational {
  if (typeof x !== 'number') throw new TypeError(`x must be a number, got ${typeof x}`);
  if (!Number.isFinite(x)) throw new RangeError(`x must be finite, got ${x}`);
  if (x === 0) return { num: 0n, den: 1n };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  // Strip common factors of two so the result is in lowest terms.
  while (exp < 0 && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  const num = exp >= 0 ? mant << BigInt(exp) : mant;
  const den = exp >= 0 ? 1n : 1n << BigInt(-exp);
  return { num: negative ? -num : num, den };
}

/** Accepts a double (converted exactly) or a Rational (validated and reduced). */
export function toRational(name: string, x: number | Rational): Rational {
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new RangeError(`${name} must be finite, got ${x}`);
    return rationalFromNumber(x);
  }
  if (x === null || typeof x !== 'object' || typeof x.num !== 'bigint' || typeof x.den !== 'bigint') {
    throw new TypeError(`${name} must be a number or a { num: bigint, den: bigint } rational`);
  }
  return rational(x.num, x.den);
}

/** A double approximation of a rational, relative error below 2^-50 (each part is cut to 64 bits). */
export function rationalToNumber(r: Rational): number {
  const sn = Math.max(0, bitLength(r.num) - 64);
  const sd = Math.max(0, bitLength(r.den) - 64);
  return (Number(r.num >> BigInt(sn)) / Number(r.den >> BigInt(sd))) * 2 ** (sn - sd);
}

/** Number of bits of |x| (0 for 0). */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  return x === 0n ? 0 : x.toString(2).length;
}

/** floor(sqrt(n)) for a non-negative bigint, by Newton's method. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError(`isqrt of a negative number: ${n}`);
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
