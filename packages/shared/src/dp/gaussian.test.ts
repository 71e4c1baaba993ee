import { describe, expect, it } from 'vitest';
import { erfc } from './accountant/special.js';
import { addGaussianNoise, gaussianNoiseOnGrid, sampleGaussian } from './gaussian.js';
import { chiSquareCritical1e4, testRandom } from './test-helpers.js';

describe('continuous Gaussian noise', () => {
  it('N(0, sigma^2): moments, and bin frequencies against Phi (chi-square, 20 bins, p = 1e-4)', () => {
    const n = 50_000;
    const sigma = 3;
    const x = new Float64Array(n);
    addGaussianNoise(testRandom('gauss'), sigma, x);
    let m = 0;
    let v = 0;
    for (const a of x) {
      m += a;
      v += a * a;
    }
    expect(Math.abs(m / n)).toBeLessThan((5 * sigma) / Math.sqrt(n));
    expect(Math.abs(v / n / (sigma * sigma) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // 20 equal-width bins on [-3 sigma, 3 sigma] plus two tails.
    const edges = Array.from({ length: 21 }, (_, i) => (-3 + (6 * i) / 20) * sigma);
    const cdf = (t: number): number => 0.5 * erfc(-t / (sigma * Math.SQRT2));
    const counts = new Array<number>(22).fill(0);
    for (const a of x) {
      let b = 0;
      while (b < 21 && a >= edges[b]!) b++;
      counts[b]!++;
    }
    let stat = 0;
    for (let b = 0; b < 22; b++) {
      const lo = b === 0 ? -Infinity : edges[b - 1]!;
      const hi = b === 21 ? Infinity : edges[b]!;
      const e = (cdf(hi) - cdf(lo)) * n;
      stat += (counts[b]! - e) ** 2 / e;
    }
    expect(stat).toBeLessThan(chiSquareCritical1e4(21));
  });

  it('sigma 0 adds nothing; Float32Array values stay float32', () => {
    const v = new Float32Array([1, 2, 3]);
    addGaussianNoise(testRandom('z'), 0, v);
    expect(Array.from(v)).toEqual([1, 2, 3]);
    expect(sampleGaussian(testRandom('z'), 0)).toBe(0);
    addGaussianNoise(testRandom('z'), 1, v);
    expect(v.every((a) => Math.fround(a) === a)).toBe(true);
  });

  it('on-grid noise is granularity times an integer', () => {
    const g = 2 ** -10;
    const out = gaussianNoiseOnGrid(testRandom('grid'), 0.05, g, 5000);
    let v = 0;
    for (const a of out) {
      expect(Number.isInteger(a / g)).toBe(true);
      v += a * a;
    }
    expect(Math.abs(v / 5000 / 0.0025 - 1)).toBeLessThan(0.1);
  });

  it('rejects hostile inputs', () => {
    const rng = testRandom('h');
    for (const s of [-1, NaN, Infinity]) {
      expect(() => sampleGaussian(rng, s)).toThrow(RangeError);
      expect(() => addGaussianNoise(rng, s, new Float64Array(1))).toThrow(RangeError);
    }
    expect(() => addGaussianNoise(rng, 1, [1] as never)).toThrow(TypeError);
    for (const [s, g, d] of [
      [0, 1, 1],
      [1, 0, 1],
      [1, NaN, 1],
      [1, 1, -1],
      [1, 1, 1.5],
    ]) {
      expect(() => gaussianNoiseOnGrid(rng, s!, g!, d!)).toThrow(RangeError);
    }
  });
});
