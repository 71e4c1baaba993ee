// Mask PRG: random access by chunk, context separation, and uniformity of a masked vector.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { KEYSTREAM_PATHS } from '../crypto/test-helpers.js';
import { applyMasks } from './mask-sum.js';
import { deriveMaskKey, maskChunk, maskRange, openMaskStream } from './prg.js';

const rng = seededRandom(crypto, 'prg-tests');
const eq = (a: Uint32Array, b: Uint32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

// The PRG's output pinned as of commit 68aea1f (node:crypto only, before the native keystream and
// the streams): any change to the expansion must bump SECAGG_LABEL instead of passing here.
describe('mask PRG: pinned vectors, on every keystream path', () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  for (const [name, p] of KEYSTREAM_PATHS) {
    it(name, () => {
      const pair = deriveMaskKey(p, secret, { round: 7, a: 'alice', b: 'bob' });
      const self = deriveMaskKey(p, secret, { round: 7, a: 'alice' });
      expect([hex(pair.key), hex(pair.iv)]).toEqual(['957715256f29027699824bedd6f9b1f1e69e2d01c73dee0fdf0d9cba590d9cfe', '89472b4b08f7dd5e0d3168856380540c']);
      expect([hex(self.key), hex(self.iv)]).toEqual(['a92acbd08cf180ccd3ae0495ff78cda8af8367bb337512a5b70590a38469805c', '02a8a302bd62f80cd99871b89923ec5d']);
      expect(Array.from(maskRange(p, pair, 0, 6, 32))).toEqual([0xf761ab77, 0x8cdbfda1, 0x2b19b5c9, 0xb2a986bb, 0x354ed808, 0xfe515aca]);
      expect(Array.from(maskRange(p, self, 1_000_003, 5, 20))).toEqual([0x41eba, 0x45131, 0xfc3ac, 0x40d7b, 0xa48ca]);
      expect(hex(p.sha256(new Uint8Array(maskRange(p, pair, 0, 1 << 20, 32).buffer)))).toBe('70a1bd2ce216076451cf9a462ef12465c5377475fe8f2f6c81ed41a3f696e9ca');
      const t = Uint32Array.from({ length: 100_001 }, (_, i) => (i * 2654435761) & 0xffffff);
      const carol = deriveMaskKey(p, secret, { round: 8, a: 'carol' });
      applyMasks(p, [{ key: pair, sign: 1 }, { key: self, sign: -1 }, { key: carol, sign: 1 }], t, 5, 24);
      expect(hex(p.sha256(new Uint8Array(t.buffer)))).toBe('ace126b8f8be75c82809c813fcf7c6ca6f9c81ae235a09dfb62b012263b96ab6');
    });
  }
});

describe('mask streams', () => {
  for (const [name, p] of KEYSTREAM_PATHS) {
    it(`${name}: opened at any word and read in any pieces, equals the one-shot range`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 5000 }), fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 4 }), (start, pieces) => {
          const key = deriveMaskKey(p, rng.bytes(32), { round: 1, a: 'u' });
          const total = pieces.reduce((a, b) => a + b, 0);
          const s = openMaskStream(p, key, start);
          const got = new Uint32Array(total);
          let at = 0;
          for (const n of pieces) s.readInto(got.subarray(at, (at += n)));
          s.close();
          expect(eq(got, maskRange(crypto, key, start, total, 32))).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  }
});

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
    for (const bad of [null, 'k', { key: key.key }]) expect(() => openMaskStream(crypto, bad as never, 0)).toThrow(TypeError);
    for (const bad of [NaN, -1, 1.5, 2 ** 41]) expect(() => openMaskStream(crypto, key, bad)).toThrow(RangeError);
  });
});
