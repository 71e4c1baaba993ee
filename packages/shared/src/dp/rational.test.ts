import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isqrt, rational, rationalFromNumber, rationalToNumber, toRational } from './rational.js';

describe('rationals', () => {
  it('converts every finite double exactly (num / den == x, den a power of two)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const r = rationalFromNumber(x);
        expect(r.den & (r.den - 1n)).toBe(0n);
        expect(rationalToNumber(r)).toBe(x === 0 ? 0 : x);
      }),
    );
    expect(rationalFromNumber(0.1)).toEqual({ num: 3602879701896397n, den: 36028797018963968n });
    expect(rationalFromNumber(5e-324)).toEqual({ num: 1n, den: 1n << 1074n });
  });

  it('reduces and normalises signs', () => {
    expect(rational(6, -4)).toEqual({ num: -3n, den: 2n });
    expect(toRational('x', { num: 10n, den: 4n })).toEqual({ num: 5n, den: 2n });
  });

  it('isqrt is the exact floor square root', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 200n }), (n) => {
        const s = isqrt(n);
        expect(s * s <= n && (s + 1n) * (s + 1n) > n).toBe(true);
      }),
    );
  });

  it('rejects hostile inputs', () => {
    expect(() => rational(1, 0)).toThrow(RangeError);
    expect(() => rational(1.5, 1)).toThrow(RangeError);
    expect(() => rational('1' as unknown as number, 1)).toThrow(TypeError);
    for (const x of [NaN, Infinity, -Infinity]) expect(() => rationalFromNumber(x)).toThrow(RangeError);
    expect(() => toRational('v', { num: 1, den: 2n } as never)).toThrow(TypeError);
    expect(() => isqrt(-1n)).toThrow(RangeError);
  });
});
