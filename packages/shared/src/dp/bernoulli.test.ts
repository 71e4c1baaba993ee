import { describe, expect, it } from 'vitest';
import { bernoulliExpNeg, bernoulliRational, uniformLessThan } from './bernoulli.js';
import { RandomReader } from './random-reader.js';
import { scriptedRandom, testRandom } from './test-helpers.js';

/** |frequency - p| within 5 standard errors: a seeded run outside it is a real bias. */
function expectFrequency(hits: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(hits / n - p)).toBeLessThan(5 * se + 1e-12);
}

describe('exact Bernoulli samplers (CKS20 Algorithm 1)', () => {
  it('uniformLessThan decides exactly when the first 53 bits tie with p (extra bits drawn lazily)', () => {
    // p = 1/3: r = floor(2^53 / 3) is the ambiguous prefix; the answer then depends on later bits.
    const r = Number((1n << 53n) / 3n);
    for (const word of [0x00000000, 0x55555554, 0x55555555, 0x55555556, 0xffffffff]) {
      const bytes = new Uint8Array(64);
      new DataView(bytes.buffer).setUint32(0, word);
      const reader = new RandomReader(scriptedRandom(bytes), 64);
      const got = uniformLessThan(reader, r, 1n, 3n);
      // U >= (r 2^32 + word) / 2^85 and U < (r 2^32 + word + 1) / 2^85; the prefix decides unless it ties again.
      const prefix = (BigInt(r) << 32n) | BigInt(word);
      const expected = 3n * (prefix + 1n) <= 1n << 85n;
      if (3n * prefix < 1n << 85n && 3n * (prefix + 1n) > 1n << 85n) continue; // still ambiguous: more bits
      expect(got).toBe(expected);
    }
    // Far from the boundary no extra bits are read (the scripted source would throw).
    const empty = new RandomReader(scriptedRandom(new Uint8Array(0)), 4);
    expect(uniformLessThan(empty, 0, 1n, 3n)).toBe(true);
    expect(uniformLessThan(empty, 2 ** 53 - 1, 1n, 3n)).toBe(false);
  });

  it('Bernoulli(p) hits p for rational p', () => {
    const rng = testRandom('bern');
    for (const p of [0, 1, 1 / 3, 0.001, { num: 2n, den: 7n }] as const) {
      const pv = typeof p === 'number' ? p : 2 / 7;
      let hits = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) if (bernoulliRational(rng, p)) hits++;
      expectFrequency(hits, n, pv);
    }
  });

  it('Bernoulli(exp(-gamma)) hits exp(-gamma) for rational gamma, including gamma > 1', () => {
    const rng = testRandom('bern-exp');
    expect(bernoulliExpNeg(rng, 0)).toBe(true);
    for (const [g, gv] of [
      [{ num: 1n, den: 2n }, 0.5],
      [1, 1],
      [{ num: 7n, den: 3n }, 7 / 3],
      [0.1, 0.1],
    ] as const) {
      let hits = 0;
      const n = 20_000;
      for (let i = 0; i < n; i++) if (bernoulliExpNeg(rng, g)) hits++;
      expectFrequency(hits, n, Math.exp(-gv));
    }
  });

  it('rejects hostile inputs', () => {
    const rng = testRandom('h');
    for (const p of [NaN, Infinity, -0.5, 1.5, { num: 3n, den: 2n }]) expect(() => bernoulliRational(rng, p as never)).toThrow(RangeError);
    for (const g of [NaN, -Infinity, -1, { num: -1n, den: 2n }]) expect(() => bernoulliExpNeg(rng, g as never)).toThrow(RangeError);
    expect(() => bernoulliRational(rng, '0.5' as never)).toThrow(TypeError);
    expect(() => bernoulliExpNeg(rng, { num: 1n, den: 0n })).toThrow(RangeError);
  });
});
