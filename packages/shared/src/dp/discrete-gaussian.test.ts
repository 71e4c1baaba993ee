import { describe, expect, it } from 'vitest';
import { DiscreteGaussian, discreteGaussianVector, sampleDiscreteGaussian } from './discrete-gaussian.js';
import { chiSquare, chiSquareCritical1e4, discreteGaussianPmf, testRandom } from './test-helpers.js';

/** Variance of N_Z(0, s2), summed from the exact pmf. */
function exactVariance(s2: number): number {
  const support = Math.ceil(40 * Math.sqrt(s2)) + 10;
  const pmf = discreteGaussianPmf(s2, support);
  let v = 0;
  for (let x = -support; x <= support; x++) v += x * x * pmf(x);
  return v;
}

describe('discrete Gaussian (CKS20 Algorithm 3)', () => {
  const cases: [string, number | { num: bigint; den: bigint }, number][] = [
    ['sigma^2 = 0.25', 0.25, 0.25],
    ['sigma^2 = 1', 1, 1],
    ['sigma^2 = 7/3 (rational)', { num: 7n, den: 3n }, 7 / 3],
    ['sigma^2 = 100', 100, 100],
    ['sigma^2 = 2.5e3', 2500, 2500],
  ];
  for (const exactArithmetic of [false, true]) {
    for (const [name, s2, s2v] of cases) {
      it(`${exactArithmetic ? 'bigint' : 'fast'} path matches the exact pmf, ${name} (chi-square p = 1e-4, moments)`, () => {
        const n = exactArithmetic ? 15_000 : 40_000;
        const out = new Float64Array(n);
        new DiscreteGaussian(s2, { exactArithmetic }).fill(testRandom(`dg-${name}-${exactArithmetic}`), out);
        const support = Math.ceil(40 * Math.sqrt(s2v)) + 10;
        const { stat, dof } = chiSquare(out, discreteGaussianPmf(s2v, support), support);
        expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
        let m = 0;
        let v = 0;
        let m4 = 0;
        for (const x of out) {
          m += x;
          v += x * x;
          m4 += x ** 4;
        }
        const ev = exactVariance(s2v);
        // Mean within 5 standard errors; variance within 5 standard errors (sd of x^2 ~ sqrt(2) var).
        expect(Math.abs(m / n)).toBeLessThan(5 * Math.sqrt(ev / n));
        expect(Math.abs(v / n - ev)).toBeLessThan(5 * Math.sqrt((m4 / n - ev * ev) / n) + 1e-9);
      });
    }
  }

  it('tails: P(|X| >= 3 sigma) for sigma^2 = 100 matches the exact pmf within 5 standard errors', () => {
    const n = 100_000;
    const out = new Float64Array(n);
    new DiscreteGaussian(100).fill(testRandom('tail'), out);
    const pmf = discreteGaussianPmf(100, 500);
    let p = 0;
    for (let x = 30; x <= 500; x++) p += 2 * pmf(x);
    let hits = 0;
    for (const x of out) if (Math.abs(x) >= 30) hits++;
    expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  it('a huge variance keeps draws exact integers with the right spread (sigma = 1e6)', () => {
    const out = discreteGaussianVector(testRandom('huge'), 1e12, 20_000);
    let v = 0;
    for (const x of out) {
      expect(Number.isSafeInteger(x)).toBe(true);
      v += x * x;
    }
    expect(Math.abs(v / out.length / 1e12 - 1)).toBeLessThan(0.05);
  });

  it('is reproducible from a seed and fills every output type', () => {
    const a = new Int32Array(1000);
    const b = new Float64Array(1000);
    const c = new BigInt64Array(1000);
    const dg = new DiscreteGaussian(50);
    dg.fill(testRandom('same'), a);
    dg.fill(testRandom('same'), b);
    dg.fill(testRandom('same'), c);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c, Number)).toEqual(Array.from(b));
    expect(Number.isInteger(sampleDiscreteGaussian(testRandom('one'), 3))).toBe(true);
  });

  it('rejects hostile inputs', () => {
    for (const v of [0, -1, NaN, Infinity, -Infinity, 2 ** 81, { num: -1n, den: 1n }, { num: 1n, den: 0n }]) {
      expect(() => new DiscreteGaussian(v as never)).toThrow(RangeError);
    }
    expect(() => new DiscreteGaussian('1' as never)).toThrow(TypeError);
    expect(() => new DiscreteGaussian(1).fill(testRandom('x'), new Float32Array(2) as never)).toThrow(TypeError);
    expect(() => new DiscreteGaussian(2 ** 70).fill(testRandom('x'), new Int32Array(4))).toThrow(RangeError);
    for (const d of [-1, 1.5, NaN]) expect(() => discreteGaussianVector(testRandom('x'), 1, d)).toThrow(RangeError);
  });
});
