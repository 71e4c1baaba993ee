// Exact Bernoulli samplers over rationals: Bernoulli(p) and Bernoulli(exp(-gamma)), Algorithm 1 of
// Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy", NeurIPS).
import type { RandomSource } from '../crypto/random.js';
import { RandomReader } from './random-reader.js';
import { toRational, type Rational } from './rational.js';

/**
 * Decides U < num/den exactly, for a uniform real U in [0, 1) whose first `prefixBits` bits are
 * `prefix` (U lies in [prefix / 2^prefixBits, (prefix + 1) / 2^prefixBits)); further bits of U are
 * drawn lazily, 32 at a time, until the comparison is decided, which happens with probability 1.
 */
export function uniformLessThan(reader: RandomReader, prefix: number, num: bigint, den: bigint, prefixBits = 53): boolean {
  let r = BigInt(prefix);
  let bits = BigInt(prefixBits);
  for (;;) {
    const target = num << bits;
    if ((r + 1n) * den <= target) return true;
    if (r * den >= target) return false;
    r = (r << 32n) | BigInt(reader.uint32());
    bits += 32n;
  }
}

/** Exact Bernoulli(num/den) for 0 <= num/den <= 1, by lazy comparison with a uniform real. */
export function bernoulliRationalWith(reader: RandomReader, num: bigint, den: bigint): boolean {
  if (num <= 0n) return false;
  if (num >= den) return true;
  return uniformLessThan(reader, reader.uint53(), num, den);
}

/** Exact Bernoulli(exp(-num/den)) for num/den >= 0 (CKS20 Algorithm 1, both cases). */
export function bernoulliExpNegWith(reader: RandomReader, num: bigint, den: bigint): boolean {
  // gamma > 1: exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))).
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpNegOne(reader)) return false;
  const frac = num - whole * den;
  // gamma in [0, 1]: K = first k with Bernoulli(gamma / k) = 0; P(K odd) = exp(-gamma).
  let k = 1n;
  while (bernoulliRationalWith(reader, frac, den * k)) k++;
  return (k & 1n) === 1n;
}

/** Exact Bernoulli(exp(-1)) from Bernoulli(1/k) draws (CKS20 Algorithm 1 with gamma = 1). */
export function bernoulliExpNegOne(reader: RandomReader): boolean {
  let k = 1;
  while (reader.int(k) === 0) k++;
  return (k & 1) === 1;
}

/**
 * Exact Bernoulli(exp(-a/b)) for small integers 0 <= a <= b (b * k stays below 2^53 for any
 * realistic k), with each Bernoulli(a / (b k)) drawn as an exact uniform integer comparison.
 */
export function bernoulliExpNegSmall(reader: RandomReader, a: number, b: number): boolean {
  let k = 1;
  for (;;) {
    const n = b * k;
    const hit = n <= 2 ** 53 ? reader.int(n) < a : bernoulliRationalWith(reader, BigInt(a), BigInt(b) * BigInt(k));
    if (!hit) break;
    k++;
  }
  return (k & 1) === 1;
}

function checkProbability(name: string, r: Rational, max1: boolean): void {
  if (r.num < 0n) throw new RangeError(`${name} must be >= 0, got ${r.num}/${r.den}`);
  if (max1 && r.num > r.den) throw new RangeError(`${name} must be <= 1, got ${r.num}/${r.den}`);
}

/**
 * Exact Bernoulli(p) for a rational p in [0, 1] (a double is taken at its exact value).
 * @throws TypeError / RangeError for a p that is not a rational in [0, 1].
 */
export function bernoulliRational(rng: RandomSource, p: number | Rational): boolean {
  const r = toRational('p', p);
  checkProbability('p', r, true);
  return bernoulliRationalWith(new RandomReader(rng, 64), r.num, r.den);
}

/**
 * Exact Bernoulli(exp(-gamma)) for a rational gamma >= 0 (CKS20 Algorithm 1).
 * @throws TypeError / RangeError for a gamma that is not a non-negative rational.
 */
export function bernoulliExpNeg(rng: RandomSource, gamma: number | Rational): boolean {
  const r = toRational('gamma', gamma);
  checkProbability('gamma', r, false);
  return bernoulliExpNegWith(new RandomReader(rng, 64), r.num, r.den);
}
