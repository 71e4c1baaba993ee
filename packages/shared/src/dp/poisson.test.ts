import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POISSON_LAMBDA, Poisson, samplePoisson } from './poisson.js';
import { RandomReader } from './random-reader.js';
import { chiSquare, chiSquareCritical1e4, HOSTILE_NUMBERS, scriptedRandom, testRandom } from './test-helpers.js';

/** Poisson(lambda) pmf in doubles (log-space; ample for a chi-square at these lambdas). */
function poissonPmf(lambda: number): (k: number) => number {
  const lnFact: number[] = [0];
  return (k) => {
    if (k < 0 || !Number.isInteger(k)) return 0;
    for (let i = lnFact.length; i <= k; i++) lnFact.push(lnFact[i - 1]! + Math.log(i));
    return Math.exp(-lambda + k * Math.log(lambda) - lnFact[k]!);
  };
}

function moments(xs: Float64Array): { mean: number; variance: number } {
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) * (x - m);
  return { mean: m, variance: v / (xs.length - 1) };
}

/**
 * Mean within 5 standard errors (sd sqrt(lambda / n)); sample variance within 5 standard errors
 * (its sd is sqrt((mu4 - lambda^2) / n) = sqrt((lambda + 2 lambda^2) / n) for a Poisson).
 */
function expectMoments(xs: Float64Array, lambda: number): void {
  const n = xs.length;
  const { mean, variance } = moments(xs);
  expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
  expect(Math.abs(variance - lambda)).toBeLessThan(5 * Math.sqrt((lambda + 2 * lambda * lambda) / n));
}

describe('exact Poisson sampler (staircase rejection, exact rational acceptance)', () => {
  const cases: [string, number | { num: bigint; den: bigint }, number][] = [
    ['lambda = 0.05', 0.05, 0.05],
    ['lambda = 0.5', 0.5, 0.5],
    ['lambda = 7/3 (rational)', { num: 7n, den: 3n }, 7 / 3],
    ['lambda = 3 (integer: two modes)', 3, 3],
    ['lambda = 30', 30, 30],
    ['lambda = 250.5', 250.5, 250.5],
  ];
  for (const exactArithmetic of [false, true]) {
    for (const [name, lambda, lv] of cases) {
      it(`${exactArithmetic ? 'bigint' : 'fast'} path matches the exact pmf, ${name} (chi-square p = 1e-4, moments)`, () => {
        const n = exactArithmetic ? 15_000 : 40_000;
        const out = new Float64Array(n);
        new Poisson(lambda, { exactArithmetic }).fill(testRandom(`poisson-${name}-${exactArithmetic}`), out);
        // chiSquare bins around 0, so centre on the mode.
        const m = Math.floor(lv);
        const centred = out.map((k) => k - m);
        const pmf = poissonPmf(lv);
        const support = Math.ceil(20 * Math.sqrt(lv)) + 30;
        const { stat, dof } = chiSquare(centred, (x) => pmf(x + m), support);
        expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
        expectMoments(out, lv);
      });
    }
  }

  it('fast path matches the exact pmf at lambda = 1e4 (chi-square p = 1e-4 over ~800 bins)', () => {
    const n = 200_000;
    const out = new Float64Array(n);
    new Poisson(1e4).fill(testRandom('poisson-1e4'), out);
    const pmf = poissonPmf(1e4);
    const { stat, dof } = chiSquare(
      out.map((k) => k - 1e4),
      (x) => pmf(x + 1e4),
      2000,
    );
    expect(dof).toBeGreaterThan(500);
    expect(stat).toBeLessThan(chiSquareCritical1e4(dof));
  });

  it('the fast path and the bigint path give the same draws from the same bits', () => {
    // The fast path only decides when the first 53 uniform bits already decide the exact comparison,
    // so both consume the same randomness and return the same values.
    for (const [lambda, n] of [[0.3, 3000], [3, 3000], [7.75, 3000], [1000.5, 3000], [12345, 3000], [1e6 + 0.5, 300]] as const) {
      const a = new Float64Array(n);
      const b = new Float64Array(n);
      new Poisson(lambda).fill(testRandom(`same-${lambda}`), a);
      new Poisson(lambda, { exactArithmetic: true }).fill(testRandom(`same-${lambda}`), b);
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });

  it('decides exactly when the first 32 uniform bits straddle the acceptance probability (bigint fallback, lazy bits)', () => {
    // lambda = 3: k = 5 is proposed on the step of height 1/2 (R(2) = 9/20 <= 1/2 < R(1) = 3/4), so
    // A = 9/10; r = floor(0.9 * 2^32) straddles it and the next 32 bits decide.
    const words = (...ws: number[]): RandomReader => {
      const bytes = new Uint8Array(4 * ws.length);
      ws.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w));
      return new RandomReader(scriptedRandom(bytes), 4);
    };
    const p = new Poisson(3);
    // Find the proposal word u that proposes k = 5 (accepted at once with U's first bits 0).
    let u = 0;
    while (p.sampleWith(words(u, 0)) !== 5) u++;
    const r = Math.floor(0.9 * 2 ** 32);
    expect(r / 2 ** 32 < 0.9 && (r + 1) / 2 ** 32 > 0.9).toBe(true);
    expect(p.sampleWith(words(u, r, 0))).toBe(5); // U < 0.9: accept
    // U > 0.9: reject, then a proposal of k = m (u = 0 proposes j = 0) ends the draw.
    expect(p.sampleWith(words(u, r, 0xffffffff, 0))).toBe(3);
    // A 32-bit prefix that rules out U < A on its own: reject without reading more of U.
    expect(p.sampleWith(words(u, r + 1, 0))).toBe(3);
  });

  it('tails: P(X >= lambda + 4 sqrt(lambda)) for lambda = 100 matches the exact pmf within 5 standard errors', () => {
    const n = 200_000;
    const out = new Float64Array(n);
    new Poisson(100).fill(testRandom('tail'), out);
    const pmf = poissonPmf(100);
    let p = 0;
    for (let k = 140; k < 400; k++) p += pmf(k);
    let hits = 0;
    for (const x of out) if (x >= 140) hits++;
    expect(Math.abs(hits / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  const large: [string, number | { num: bigint; den: bigint }, number][] = [
    ['1e4', 1e4, 1e4],
    ['1e6', 1e6, 1e6],
    ['1e8', 1e8, 1e8],
    ['123456789.25', 123456789.25, 123456789.25],
    ['(3e8 + 1) / 3 (not a double)', { num: 300_000_001n, den: 3n }, 1e8 + 1 / 3],
    ['1e12', 1e12, 1e12],
  ];
  for (const [name, lambda, lv] of large) {
    it(`large lambda = ${name}: integer draws with mean and variance lambda (5 standard errors)`, () => {
      const out = new Float64Array(100_000);
      new Poisson(lambda).fill(testRandom(`large-${name}`), out);
      expect(out.every((x) => Number.isSafeInteger(x) && x >= 0)).toBe(true);
      expectMoments(out, lv);
    });
  }

  it('property: mean and variance match for any rate in [1e-3, 1e9] (fast-check)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (lambda, seed) => {
        const out = new Float64Array(4000);
        new Poisson(lambda).fill(testRandom(`prop-${seed}`), out);
        expectMoments(out, lambda);
      }),
      { numRuns: 25, seed: 20211011 },
    );
  });

  it('is reproducible from a seed and fills every output type', () => {
    const a = new Int32Array(1000);
    const b = new Float64Array(1000);
    const c = new BigInt64Array(1000);
    const p = new Poisson(42.5);
    p.fill(testRandom('same'), a);
    p.fill(testRandom('same'), b);
    p.fill(testRandom('same'), c);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c, Number)).toEqual(Array.from(b));
    expect(Number.isInteger(samplePoisson(testRandom('one'), 3))).toBe(true);
    expect(p.lambda).toEqual({ num: 85n, den: 2n });
  });

  it('rejects hostile inputs', () => {
    for (const v of [0, -0, -1, NaN, Infinity, -Infinity, MAX_POISSON_LAMBDA * 2, 2 ** 1000, { num: -1n, den: 1n }, { num: 0n, den: 1n }, { num: 1n, den: 0n }]) {
      expect(() => new Poisson(v as never)).toThrow(RangeError);
    }
    for (const v of HOSTILE_NUMBERS) {
      const ctor = typeof v === 'number' ? RangeError : TypeError;
      expect(() => new Poisson(v as never)).toThrow(ctor);
    }
    for (const v of ['1', undefined, null, {}, { num: 1, den: 2 }, 1n]) expect(() => new Poisson(v as never)).toThrow(TypeError);
    expect(() => new Poisson(1).fill(testRandom('x'), new Float32Array(2) as never)).toThrow(TypeError);
    expect(() => new Poisson(1).fill(testRandom('x'), [0, 0] as never)).toThrow(TypeError);
    expect(() => new Poisson(2 ** 40).fill(testRandom('x'), new Int32Array(4))).toThrow(RangeError);
    expect(() => samplePoisson(testRandom('x'), NaN)).toThrow(RangeError);
  });
});
