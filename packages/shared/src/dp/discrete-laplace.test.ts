import { describe, expect, it } from 'vitest';
import { discreteLaplaceWith, sampleDiscreteLaplace } from './discrete-laplace.js';
import { RandomReader } from './random-reader.js';
import { chiSquare, chiSquareCritical1e4, testRandom } from './test-helpers.js';

describe('discrete Laplace (CKS20 Algorithm 2)', () => {
  for (const t of [1, 3, 20]) {
    it(`matches the pmf (e^(1/t)-1)/(e^(1/t)+1) e^(-|x|/t) for t = ${t} (chi-square, p = 1e-4)`, () => {
      const reader = new RandomReader(testRandom(`dlap-${t}`));
      const n = 40_000;
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) xs[i] = discreteLaplaceWith(reader, t);
      const c = (Math.exp(1 / t) - 1) / (Math.exp(1 / t) + 1);
      const pmf = (x: number): number => c * Math.exp(-Math.abs(x) / t);
      const { stat, dof } = chiSquare(xs, pmf, 60 * t);
      expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
      // Moments: mean 0, variance 2 e^(1/t) / (e^(1/t) - 1)^2.
      let m = 0;
      let v = 0;
      for (const x of xs) {
        m += x;
        v += x * x;
      }
      const variance = (2 * Math.exp(1 / t)) / (Math.exp(1 / t) - 1) ** 2;
      expect(Math.abs(m / n)).toBeLessThan(5 * Math.sqrt(variance / n));
      expect(Math.abs(v / n / variance - 1)).toBeLessThan(0.05);
    });
  }

  it('rejects hostile scales', () => {
    const rng = testRandom('h');
    for (const t of [0, -1, 1.5, NaN, Infinity, 2 ** 41]) expect(() => sampleDiscreteLaplace(rng, t)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(rng, '3' as never)).toThrow(TypeError);
    expect(Number.isInteger(sampleDiscreteLaplace(rng, 5))).toBe(true);
  });
});
