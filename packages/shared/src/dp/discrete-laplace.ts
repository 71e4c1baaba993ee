// Exact discrete Laplace sampler, P(x) proportional to exp(-|x| / t) on the integers: Algorithm 2 of
// Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for Differential Privacy"), integer scale t.
import type { RandomSource } from '../crypto/random.js';
import { assertInteger } from './assert.js';
import { bernoulliExpNegOne, bernoulliExpNegSmall } from './bernoulli.js';
import { RandomReader } from './random-reader.js';

/** Largest scale accepted, so U + t * V stays a safe integer with overwhelming probability. */
export const MAX_DISCRETE_LAPLACE_SCALE = 2 ** 40;

/** One exact draw from the discrete Laplace of integer scale t, from a reader (the fast path). */
export function discreteLaplaceWith(reader: RandomReader, t: number): number {
  for (;;) {
    const u = reader.int(t);
    if (!bernoulliExpNegSmall(reader, u, t)) continue;
    // V ~ Geometric(1 - exp(-1)): count successes of Bernoulli(exp(-1)).
    let v = 0;
    while (bernoulliExpNegOne(reader)) v++;
    const x = u + t * v;
    const negative = reader.bit() === 1;
    if (negative && x === 0) continue; // otherwise 0 would be counted twice
    return negative ? -x : x;
  }
}

/**
 * One exact draw from the discrete Laplace distribution with integer scale `t`
 * (P(x) = (e^(1/t) - 1) / (e^(1/t) + 1) * e^(-|x|/t)).
 * @throws RangeError if t is not an integer in [1, 2^40].
 */
export function sampleDiscreteLaplace(rng: RandomSource, t: number): number {
  assertInteger('t', t, 1);
  if (t > MAX_DISCRETE_LAPLACE_SCALE) throw new RangeError(`t must be <= 2^40, got ${t}`);
  return discreteLaplaceWith(new RandomReader(rng, 256), t);
}
