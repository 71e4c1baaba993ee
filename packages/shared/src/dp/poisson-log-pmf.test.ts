import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { poissonLogPmfRatio } from './poisson-log-pmf.js';
import { bitLength, rationalFromNumber } from './rational.js';

function rangeProduct(lo: number, hi: number): bigint {
  if (hi - lo < 16) {
    let p = 1n;
    for (let i = lo; i <= hi; i++) p *= BigInt(i);
    return p;
  }
  const mid = Math.floor((lo + hi) / 2);
  return rangeProduct(lo, mid) * rangeProduct(mid + 1, hi);
}

/** ln(num / den) for huge bigints: top 64 bits of each, exact power-of-two offset (error ~1e-15 |result|). */
function lnFraction(num: bigint, den: bigint): number {
  const s1 = Math.max(0, bitLength(num) - 64);
  const s2 = Math.max(0, bitLength(den) - 64);
  return Math.log(Number(num >> BigInt(s1)) / Number(den >> BigInt(s2))) + (s1 - s2) * Math.LN2;
}

/** ln(p(k) / p(m)) from the exact rational prod lambda/(m+i) or prod (m-i)/lambda. */
function exactLogRatio(k: number, m: number, lambda: number): number {
  const { num: p, den: q } = rationalFromNumber(lambda);
  const e = BigInt(Math.abs(k - m));
  return k >= m ? lnFraction(p ** e, q ** e * rangeProduct(m + 1, k)) : lnFraction(q ** e * rangeProduct(k + 1, m), p ** e);
}

describe('certified double log of Poisson pmf ratios (Loader 2000 bd0 / stirlerr)', () => {
  it('brackets the exact bigint value with a wide margin, small k and tails included', () => {
    let worst = 0;
    for (const lambda of [1e-3, 0.3, 1, 3, 7.25, 15.5, 16, 100, 1000.5, 1e6 + 0.25, 1e8, 123456789.125, 1e12]) {
      const m = Math.floor(lambda);
      const sd = Math.sqrt(lambda);
      const ks = new Set<number>();
      if (lambda < 2000) for (let k = 0; k < 40; k++) ks.add(k); // the exact-factorial stirlerr table and k = 0
      for (const t of [-8, -3, -1, -0.2, 0.2, 1, 3, 8, 30]) ks.add(Math.max(0, m + Math.round(t * Math.min(sd, 300))));
      for (const k of ks) {
        const got = poissonLogPmfRatio(k, m, lambda);
        const want = exactLogRatio(k, m, lambda);
        const diff = Math.abs(got.value - want);
        // The bound must hold; in practice it holds with 1000x to spare.
        expect(diff, `lambda ${lambda}, k ${k}`).toBeLessThanOrEqual(got.error);
        if (got.error > 0) worst = Math.max(worst, diff / got.error);
      }
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('property: the bracket holds for any rate and nearby k (fast-check)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), (lambda, t) => {
        const m = Math.floor(lambda);
        const k = Math.max(0, m + Math.round(t * Math.min(Math.sqrt(lambda), 500)));
        const got = poissonLogPmfRatio(k, m, lambda);
        expect(Math.abs(got.value - exactLogRatio(k, m, lambda))).toBeLessThanOrEqual(got.error);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('an inexact lambda widens the bound by |k - m| times its relative error', () => {
    const a = poissonLogPmfRatio(1_000_100, 1_000_000, 1e6);
    const b = poissonLogPmfRatio(1_000_100, 1_000_000, 1e6, 2 ** -50);
    expect(b.value).toBe(a.value);
    expect(b.error - a.error).toBeCloseTo(100 * 4 * 2 ** -50, 25);
    expect(poissonLogPmfRatio(5, 5, 3)).toEqual({ value: 0, error: 0 });
  });

  it('rejects hostile inputs', () => {
    for (const k of [-1, 1.5, NaN, Infinity, 2 ** 53]) expect(() => poissonLogPmfRatio(k, 0, 1)).toThrow(RangeError);
    for (const m of [-1, 0.5, NaN]) expect(() => poissonLogPmfRatio(0, m, 1)).toThrow(RangeError);
    for (const l of [0, -1, NaN, Infinity]) expect(() => poissonLogPmfRatio(0, 0, l)).toThrow(RangeError);
    expect(() => poissonLogPmfRatio(0, 0, '1' as never)).toThrow(TypeError);
  });
});
