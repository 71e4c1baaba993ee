// Mask PRG: random access by chunk, context separation, and uniformity of a masked vector.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { deriveMaskKey, maskChunk, maskRange } from './prg.js';

const rng = seededRandom(crypto, 'prg-tests');
const eq = (a: Uint32Array, b: Uint32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('mask PRG', () => {
  it('the concatenation of chunks equals the full expansion (property over sizes and bits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 32 }), (total, chunk, bits) => {
        const key = deriveMaskKey(crypto, rng.bytes(32), { round: 3, a: 'u', b: 'v' });
        const full = maskRange(crypto, key, 0, total, bits);
        const parts: number[] = [];
        for (let c = 0; c * chunk < total; c++) parts.push(...maskChunk(crypto, key, c, chunk, total, bits));
        expect(eq(Uint32Array.from(parts), full)).toBe(true);
        if (bits < 32) expect(full.every((w) => w < 2 ** bits)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
  it('ranges at unaligned offsets agree with the full expansion', () => {
    const key = deriveMaskKey(crypto, rng.bytes(32), { round: 0, a: 'solo' });
    const full = maskRange(crypto, key, 0, 100, 32);
    for (const [s, n] of [[1, 7], [3, 50], [97, 3], [4, 0]] as const) expect(eq(maskRange(crypto, key, s, n, 32), full.subarray(s, s + n))).toBe(true);
  });
  it('pairwise keys do not depend on id order; round, ids and purpose separate them', () => {
    const secret = rng.bytes(32);
    const k1 = deriveMaskKey(crypto, secret, { round: 1, a: 'u', b: 'v' });
    const k2 = deriveMaskKey(crypto, secret, { round: 1, a: 'v', b: 'u' });
    expect(Buffer.from(k1.key).equals(Buffer.from(k2.key))).toBe(true);
    const others = [
      deriveMaskKey(crypto, secret, { round: 2, a: 'u', b: 'v' }),
      deriveMaskKey(crypto, secret, { round: 1, a: 'u', b: 'w' }),
      deriveMaskKey(crypto, secret, { round: 1, a: 'u' }),
    ];
    for (const o of others) expect(Buffer.from(o.key).equals(Buffer.from(k1.key))).toBe(false);
  });
  it('hostile arguments', () => {
    const key = deriveMaskKey(crypto, rng.bytes(32), { round: 1, a: 'u' });
    expect(() => deriveMaskKey(crypto, new Uint8Array(31), { round: 1, a: 'u' })).toThrow(RangeError);
    expect(() => deriveMaskKey(crypto, new Uint16Array(32) as unknown as Uint8Array, { round: 1, a: 'u' })).toThrow(TypeError);
    expect(() => deriveMaskKey(crypto, new Uint8Array(32), { round: 1, a: 'u', b: 'u' })).toThrow(RangeError);
    expect(() => deriveMaskKey(crypto, new Uint8Array(32), { round: 1, a: '' })).toThrow(RangeError);
    for (const bad of [NaN, Infinity, 1.5, -1, 2 ** 53]) {
      expect(() => deriveMaskKey(crypto, new Uint8Array(32), { round: bad, a: 'u' })).toThrow(RangeError);
      expect(() => maskRange(crypto, key, bad, 1, 32)).toThrow(RangeError);
      expect(() => maskRange(crypto, key, 0, bad, 32)).toThrow(RangeError);
      expect(() => maskRange(crypto, key, 0, 1, bad)).toThrow(RangeError);
      expect(() => maskChunk(crypto, key, bad, 16, 64, 32)).toThrow(RangeError);
    }
    expect(() => maskChunk(crypto, key, 4, 16, 64, 32)).toThrow(RangeError);
    expect(() => maskRange(crypto, { key: new Uint8Array(16), iv: key.iv }, 0, 1, 32)).toThrow(RangeError);
    expect(() => maskRange(crypto, { key: key.key, iv: new Uint8Array(12) }, 0, 1, 32)).toThrow(RangeError);
  });
});
