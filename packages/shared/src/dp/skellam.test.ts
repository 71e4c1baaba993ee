import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleSkellam, Skellam, skellamVector } from './skellam.js';
import { chiSquare, chiSquareCritical1e4, HOSTILE_NUMBERS, testRandom } from './test-helpers.js';

/** Sk(mu) pmf P(x) = sum_n p(n + |x|) p(n), p the Poisson(mu) pmf (equals e^(-2 mu) I_|x|(2 mu)). */
function skellamPmf(mu: number): (x: number) => number {
  const top = Math.ceil(mu + 40 * Math.sqrt(mu) + 40);
  const p = new Float64Array(top + 1);
  let lnFact = 0;
  for (let k = 0; k <= top; k++) {
    if (k > 0) lnFact += Math.log(k);
    p[k] = Math.exp(-mu + k * Math.log(mu) - lnFact);
  }
  const cache = new Map<number, number>();
  return (x) => {
    const a = Math.abs(x);
    let v = cache.get(a);
    if (v === undefined) {
      v = 0;
      for (let n = 0; n + a <= top; n++) v += p[n + a]! * p[n]!;
      cache.set(a, v);
    }
    return v;
  };
}

function expectMoments(xs: Float64Array, variance: number): void {
  const n = xs.length;
  let m = 0;
  let v = 0;
  for (const x of xs) {
    m += x;
    v += x * x;
  }
  // Mean 0 within 5 standard errors; E x^2 = 2 mu within 5 standard errors (Var x^2 = 2 s^4 + s^2 for Sk: kurtosis excess 1/s^2).
  expect(Math.abs(m / n)).toBeLessThan(5 * Math.sqrt(variance / n));
  expect(Math.abs(v / n - variance)).toBeLessThan(5 * Math.sqrt((2 * variance * variance + variance) / n));
}

describe('Skellam noise Sk(mu) = Poisson(mu) - Poisson(mu)', () => {
  const cases: [string, number | { num: bigint; den: bigint }, number][] = [
    ['mu = 0.25', 0.25, 0.25],
    ['mu = 1.5', 1.5, 1.5],
    ['mu = 7/2 (rational)', { num: 7n, den: 2n }, 3.5],
    ['mu = 40', 40, 40],
  ];
  for (const exactArithmetic of [false, true]) {
    for (const [name, mu, muv] of cases) {
      it(`${exactArithmetic ? 'bigint' : 'fast'} path matches e^(-2 mu) I_|x|(2 mu), ${name} (chi-square p = 1e-4, moments)`, () => {
        const n = exactArithmetic ? 10_000 : 40_000;
        const out = new Float64Array(n);
        new Skellam(mu, { exactArithmetic }).fill(testRandom(`sk-${name}-${exactArithmetic}`), out);
        const support = Math.ceil(30 * Math.sqrt(muv)) + 30;
        const { stat, dof } = chiSquare(out, skellamPmf(muv), support);
        expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
        expectMoments(out, 2 * muv);
      });
    }
  }

  it('is closed under sums: 5 nodes adding Sk(mu / 5) give Sk(mu) (chi-square, mu = 10)', () => {
    const share = new Skellam({ num: 2n, den: 1n });
    const rng = testRandom('sum');
    const n = 30_000;
    const parts = new Float64Array(5 * n);
    share.fill(rng, parts);
    const sums = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let s = 0; s < 5; s++) sums[i]! += parts[5 * i + s]!;
    const { stat, dof } = chiSquare(sums, skellamPmf(10), 200);
    expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
  });

  for (const mu of [1e4, 1e8, 5e11]) {
    it(`large mu = ${mu}: integer draws with mean 0 and variance 2 mu`, () => {
      const out = new Float64Array(100_000);
      new Skellam(mu).fill(testRandom(`sk-large-${mu}`), out);
      expect(out.every((x) => Number.isSafeInteger(x))).toBe(true);
      expectMoments(out, 2 * mu);
    });
  }

  it('property: symmetric around 0 with variance 2 mu for any mu in [1e-2, 1e9] (fast-check)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-2, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (mu, seed) => {
        const out = new Float64Array(4000);
        new Skellam(mu).fill(testRandom(`sk-prop-${seed}`), out);
        expectMoments(out, 2 * mu);
      }),
      { numRuns: 20, seed: 2110 },
    );
  });

  it('fromVariance takes the paper parameter (variance = 2 x Poisson rate), exactly', () => {
    const s = Skellam.fromVariance(5);
    expect(s.mu).toEqual({ num: 5n, den: 2n });
    expect(s.variance).toEqual({ num: 5n, den: 1n });
    expect(new Skellam({ num: 1n, den: 3n }).variance).toEqual({ num: 2n, den: 3n });
    const a = new Float64Array(500);
    const b = new Float64Array(500);
    Skellam.fromVariance({ num: 7n, den: 3n }).fill(testRandom('fv'), a);
    new Skellam({ num: 7n, den: 6n }).fill(testRandom('fv'), b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('is reproducible from a seed and fills every output type', () => {
    const a = new Int32Array(1000);
    const b = new Float64Array(1000);
    const c = new BigInt64Array(1000);
    const sk = new Skellam(50);
    sk.fill(testRandom('same'), a);
    sk.fill(testRandom('same'), b);
    sk.fill(testRandom('same'), c);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c, Number)).toEqual(Array.from(b));
    expect(Number.isInteger(sampleSkellam(testRandom('one'), 3))).toBe(true);
    expect(skellamVector(testRandom('same'), 50, 1000)).toEqual(b);
    expect(skellamVector(testRandom('same'), 50, 0).length).toBe(0);
  });

  it('rejects hostile inputs', () => {
    for (const v of [0, -1, NaN, Infinity, -Infinity, 2 ** 51, { num: -1n, den: 1n }, { num: 1n, den: 0n }]) {
      expect(() => new Skellam(v as never)).toThrow(RangeError);
      expect(() => sampleSkellam(testRandom('x'), v as never)).toThrow(RangeError);
    }
    for (const v of [0, -2, NaN, Infinity, 2 ** 52]) expect(() => Skellam.fromVariance(v)).toThrow(RangeError);
    expect(() => Skellam.fromVariance(2 ** 51)).not.toThrow();
    for (const v of HOSTILE_NUMBERS) expect(() => new Skellam(v as never)).toThrow(typeof v === 'number' ? RangeError : TypeError);
    for (const v of ['1', null, undefined, {}, 1n]) {
      expect(() => new Skellam(v as never)).toThrow(TypeError);
      expect(() => Skellam.fromVariance(v as never)).toThrow(TypeError);
    }
    expect(() => new Skellam(1).fill(testRandom('x'), new Float32Array(2) as never)).toThrow(TypeError);
    expect(() => new Skellam(1).fill(testRandom('x'), new Uint32Array(2) as never)).toThrow(TypeError);
    for (const d of [-1, 1.5, NaN, Infinity, '3']) expect(() => skellamVector(testRandom('x'), 1, d as never)).toThrow(RangeError);
  });
});
