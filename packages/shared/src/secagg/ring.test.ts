// Ring encoding: round trip within 1/scale, unbiased stochastic rounding, overflow refused,
// parameters that cannot hold n clients refused, sums of n clients never wrap.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { FedtuneError } from '../errors/catalogue.js';
import { chooseRingParams, decodeFromRing, encodeToRing, ringAddInto, ringSubInto, type RingParams } from './ring.js';

const rng = seededRandom(crypto, 'ring-tests');

describe('chooseRingParams', () => {
  it('chooses the largest power-of-two scale whose n-fold sum fits', () => {
    const p = chooseRingParams({ maxSummands: 100, maxAbs: 1 });
    expect(p.clientBound).toBe(Math.floor((2 ** 31 - 1) / 100));
    expect(p.scale).toBe(2 ** 24); // 2^24 <= 21474836 < 2^25
    expect(p.scale * 100).toBeLessThan(2 ** 31);
  });
  it('reserves room for the noise tail', () => {
    const p = chooseRingParams({ maxSummands: 100, l2Clip: 1, noiseStd: 1000, tailSigmas: 12 });
    expect(p.scale + 12_000).toBeLessThanOrEqual(p.clientBound);
    expect(p.scale).toBe(2 ** 24);
    const q = chooseRingParams({ maxSummands: 100, l2Clip: 1, noiseStd: 1e6 });
    expect(q.scale).toBeLessThan(2 ** 24);
  });
  it('refuses parameters that cannot hold n clients', () => {
    expect(() => chooseRingParams({ maxSummands: 2 ** 20, maxAbs: 1, bits: 16 })).toThrow(/cannot hold 1048576 clients/);
    expect(() => chooseRingParams({ maxSummands: 100, maxAbs: 1, noiseStd: 2 ** 21 })).toThrow(/cannot hold 100 clients/);
    expect(() => chooseRingParams({ maxSummands: 100, maxAbs: 1, scale: 2 ** 25 })).toThrow(/scale .* too large/);
    expect(chooseRingParams({ maxSummands: 100, maxAbs: 1, scale: 2 ** 24 }).scale).toBe(2 ** 24);
  });
  it('hostile options', () => {
    for (const bad of [NaN, Infinity, 1.5, -1, 2 ** 53, 0]) expect(() => chooseRingParams({ maxSummands: bad, maxAbs: 1 })).toThrow(RangeError);
    for (const bad of [NaN, Infinity, -1, 0]) expect(() => chooseRingParams({ maxSummands: 2, maxAbs: bad })).toThrow(RangeError);
    for (const bad of [NaN, 0, 33, 1.5]) expect(() => chooseRingParams({ maxSummands: 2, maxAbs: 1, bits: bad })).toThrow(RangeError);
    expect(() => chooseRingParams({ maxSummands: 2 })).toThrow(TypeError);
    expect(() => chooseRingParams({ maxSummands: '2' as unknown as number, maxAbs: 1 })).toThrow(TypeError);
    expect(() => chooseRingParams(null as unknown as { maxSummands: number })).toThrow(TypeError);
  });
});

describe('encode / decode', () => {
  const params = chooseRingParams({ maxSummands: 10, maxAbs: 4, bits: 32 });
  it('round trip within 1/scale (property; float64 reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
        const v = Float64Array.from(xs);
        const back = decodeFromRing(encodeToRing(v, params, rng), params);
        for (let i = 0; i < v.length; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(1 / params.scale);
      }),
      { numRuns: 50 },
    );
  });
  it('the decoded sum of n clients equals the sum of their decodings exactly (no wrap), at the bound', () => {
    for (const bits of [32, 24, 12]) {
      const p = chooseRingParams({ maxSummands: 10, maxAbs: 1, bits });
      const acc = new Uint32Array(3);
      let expected = 0;
      for (let c = 0; c < 10; c++) {
        const e = encodeToRing(Float64Array.from([1, -1, 0.5]), p, rng);
        ringAddInto(acc, e, bits);
        expected += decodeFromRing(e, p)[0]!;
      }
      const d = decodeFromRing(acc, p);
      expect(d[0]).toBe(expected);
      expect(d[1]).toBe(-expected);
    }
  });
  it('stochastic rounding is unbiased: mean over 200k draws within 5 standard errors', () => {
    const p: RingParams = chooseRingParams({ maxSummands: 2, maxAbs: 100, scale: 1 });
    const x = 0.3;
    const n = 200_000;
    const e = decodeFromRing(encodeToRing(new Float64Array(n).fill(x), p, rng), p);
    let s = 0;
    for (const v of e) s += v;
    const mean = s / n;
    const se = Math.sqrt((x * (1 - x)) / n); // Bernoulli(0.3) on {0, 1}
    expect(Math.abs(mean - x)).toBeLessThan(5 * se);
    const neg = decodeFromRing(encodeToRing(new Float64Array(n).fill(-2.7), p, rng), p);
    let s2 = 0;
    for (const v of neg) s2 += v;
    expect(Math.abs(s2 / n + 2.7)).toBeLessThan(5 * se);
  });
  it('refuses overflow and non-finite values, never wraps', () => {
    const p = chooseRingParams({ maxSummands: 10, maxAbs: 1 });
    expect(() => encodeToRing(Float32Array.from([0, 3]), p, rng)).toThrow(FedtuneError);
    try {
      encodeToRing(Float64Array.from([2 ** 53]), p, rng);
      expect.unreachable();
    } catch (e) {
      expect((e as FedtuneError).code).toBe('FT_ERR_OVERFLOW');
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      try {
        encodeToRing(Float64Array.from([bad]), p, rng);
        expect.unreachable();
      } catch (e) {
        expect((e as FedtuneError).code).toBe('FT_ERR_NON_FINITE');
      }
    }
    const noise = Int32Array.from([p.clientBound]);
    expect(() => encodeToRing(Float64Array.from([0.9]), p, rng, noise)).toThrow(/beyond the per-client bound/);
  });
  it('hostile arguments', () => {
    const p = chooseRingParams({ maxSummands: 10, maxAbs: 1 });
    expect(() => encodeToRing([1, 2] as unknown as Float64Array, p, rng)).toThrow(TypeError);
    expect(() => encodeToRing(new Uint32Array(2) as unknown as Float64Array, p, rng)).toThrow(TypeError);
    expect(() => encodeToRing(new Float64Array(2), p, rng, new Int32Array(3))).toThrow(RangeError);
    expect(() => encodeToRing(new Float64Array(2), { ...p, clientBound: 2 ** 31 }, rng)).toThrow(RangeError);
    expect(() => decodeFromRing(new Int32Array(2) as unknown as Uint32Array, p)).toThrow(TypeError);
    expect(() => ringAddInto(new Uint32Array(2), new Uint32Array(3), 32)).toThrow(RangeError);
    expect(() => ringAddInto(new Uint32Array(2), new Float32Array(2) as unknown as Uint32Array, 32)).toThrow(TypeError);
    for (const bad of [NaN, 0, 33, 1.5, -1]) expect(() => ringSubInto(new Uint32Array(2), new Uint32Array(2), bad)).toThrow(RangeError);
    expect(() => ringAddInto(new Uint32Array(4), new Uint32Array(2), 32, 3)).toThrow(RangeError);
  });
});

describe('ring add / sub', () => {
  it('property: (a + b) - b = a and matches BigInt arithmetic mod 2^b', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 50 }), (bits, pairs) => {
        const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
        const a = Uint32Array.from(pairs.map(([x]) => (x & mask) >>> 0));
        const b = Uint32Array.from(pairs.map(([, y]) => (y & mask) >>> 0));
        const s = ringAddInto(Uint32Array.from(a), b, bits);
        for (let i = 0; i < a.length; i++) expect(BigInt(s[i]!)).toBe((BigInt(a[i]!) + BigInt(b[i]!)) % 2n ** BigInt(bits));
        expect([...ringSubInto(s, b, bits)]).toEqual([...a]);
      }),
      { numRuns: 100 },
    );
  });
});
