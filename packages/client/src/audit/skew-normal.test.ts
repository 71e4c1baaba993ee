import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { fitSkewNormal, logNormalCdf, skewNormalLogCdf } from './skew-normal.js';

describe('logNormalCdf', () => {
  // Abramowitz and Stegun, Table 26.1 (and its tail continuation, 26.2.12): Phi(-1), Phi(-3), Phi(-6).
  it('matches published standard normal values to 1e-12 relative, deep into the tail', () => {
    for (const [x, p] of [[-1, 0.15865525393145707], [-3, 0.0013498980316301], [-6, 9.865876450376946e-10], [-10, 7.619853024160527e-24], [0, 0.5], [2, 0.9772498680518208]] as const) {
      expect(Math.abs(Math.exp(logNormalCdf(x)) / p - 1), String(x)).toBeLessThan(1e-12);
    }
    expect(logNormalCdf(-Infinity)).toBe(-Infinity);
    expect(() => logNormalCdf(NaN)).toThrow(RangeError);
  });
});

describe('skewNormalLogCdf', () => {
  // Azzalini 1985: shape 0 is the normal; shape 1 gives F = Phi(z)^2; shape -1 gives F = 1 - Phi(-z)^2.
  it('reduces to the published identities for shapes 0, 1 and -1 (trapezoid tolerance 1e-5 relative in ln F)', () => {
    for (const z of [-30, -8, -3, -1, 0, 0.5, 2]) {
      const n = logNormalCdf(z);
      expect(skewNormalLogCdf({ location: 0, scale: 1, shape: 0 }, z)).toBeCloseTo(n, Math.abs(n) > 10 ? 3 : 5);
      expect(skewNormalLogCdf({ location: 0, scale: 1, shape: 1 }, z)).toBeCloseTo(2 * n, Math.abs(n) > 10 ? 3 : 5);
      // 1 - Phi(-z)^2 = Phi(z) (2 - Phi(z)), stable in the tail.
      expect(skewNormalLogCdf({ location: 0, scale: 1, shape: -1 }, z)).toBeCloseTo(n + Math.log(2 - Math.exp(n)), Math.abs(n) > 10 ? 3 : 5);
    }
    // Location and scale: F(x) = G((x - xi) / w).
    expect(skewNormalLogCdf({ location: 3, scale: 2, shape: 1 }, -5)).toBeCloseTo(2 * logNormalCdf(-4), 4);
  });

  it('is increasing in x and refuses hostile arguments', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 5, noNaN: true }), fc.double({ min: 0.01, max: 3, noNaN: true }), fc.double({ min: -6, max: 6, noNaN: true }), (x, dx, a) => {
        const d = { location: 0, scale: 1, shape: a };
        expect(skewNormalLogCdf(d, x + dx)).toBeGreaterThanOrEqual(skewNormalLogCdf(d, x) - 1e-9);
      }),
      { numRuns: 200 },
    );
    for (const bad of [NaN, Infinity, -Infinity]) expect(() => skewNormalLogCdf({ location: 0, scale: 1, shape: 0 }, bad)).toThrow(RangeError);
    for (const d of [{ location: 0, scale: 0, shape: 0 }, { location: 0, scale: -1, shape: 0 }, { location: NaN, scale: 1, shape: 0 }, { location: 0, scale: 1, shape: Infinity }]) {
      expect(() => skewNormalLogCdf(d, 0)).toThrow(RangeError);
    }
  });
});

describe('fitSkewNormal (method of moments)', () => {
  it('recovers location, scale and shape from 20,000 draws (Azzalini representation: xi + w (d|U0| + sqrt(1 - d^2) U1))', () => {
    const r = seededRandom(nodeCryptoProvider, 'skew-normal');
    const normal = (): number => Math.sqrt(-2 * Math.log(1 - r.float())) * Math.cos(2 * Math.PI * r.float());
    for (const shape of [-4, -1, 0.5, 3]) {
      const d = shape / Math.sqrt(1 + shape * shape);
      const xs = Array.from({ length: 20_000 }, () => 10 + 2 * (d * Math.abs(normal()) + Math.sqrt(1 - d * d) * normal()));
      const fit = fitSkewNormal(xs);
      expect(fit.location, `shape ${shape}`).toBeCloseTo(10, 0);
      expect(fit.scale, `shape ${shape}`).toBeCloseTo(2, 0);
      expect(Math.sign(fit.shape)).toBe(Math.sign(shape));
      // The skewness estimate is noisy for |shape| > 2 (it saturates); the CDF it implies is what matters.
      expect(Math.abs(Math.exp(skewNormalLogCdf(fit, 8)) - xs.filter((x) => x <= 8).length / xs.length)).toBeLessThan(0.01);
    }
  });

  it('refuses too few values, non-finite values and no spread', () => {
    expect(() => fitSkewNormal([1, 2])).toThrow(RangeError);
    expect(() => fitSkewNormal([1, 2, NaN])).toThrow(/value 2/);
    expect(() => fitSkewNormal([3, 3, 3, 3])).toThrow(/spread/);
  });
});
