// applyMasks (block-wise, SIMD, deferred reduction) equals adding and subtracting each reduced
// mask with the scalar ring operations, for any range, offset and ring width.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeCryptoProvider as crypto } from '../crypto/node-crypto.js';
import { seededRandom } from '../crypto/random.js';
import { KEYSTREAM_PATHS } from '../crypto/test-helpers.js';
import { applyMasks, type SignedMask } from './mask-sum.js';
import { deriveMaskKey, maskRange } from './prg.js';
import { ringAddInto, ringSubInto } from './ring.js';

const rng = seededRandom(crypto, 'mask-sum');
const masks: SignedMask[] = Array.from({ length: 5 }, (_, i) => ({ key: deriveMaskKey(crypto, rng.bytes(32), { round: 3, a: `m${i}` }), sign: i % 2 === 0 ? 1 : -1 }));

function reference(target: Uint32Array, start: number, bits: number, used: readonly SignedMask[]): Uint32Array {
  const out = target.slice();
  for (const m of used) (m.sign === 1 ? ringAddInto : ringSubInto)(out, maskRange(crypto, m.key, start, out.length, bits), bits);
  return out;
}

describe('applyMasks', () => {
  for (const [name, p] of KEYSTREAM_PATHS) {
    it(`${name}, property: equals the scalar add/sub of each reduced mask, any start, length and bits`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 5 }), (len, start, bits, count) => {
          const target = Uint32Array.from({ length: len }, (_, i) => ((i * 2654435761) >>> 0) & (bits === 32 ? 0xffffffff : 2 ** bits - 1));
          const used = masks.slice(0, count);
          expect(applyMasks(p, used, target.slice(), start, bits)).toEqual(reference(target, start, bits, used));
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: spans several blocks from an unaligned start`, () => {
      const target = Uint32Array.from({ length: 70_001 }, (_, i) => (i * 7919) & 0xfffff);
      expect(applyMasks(p, masks, target.slice(), 3, 20)).toEqual(reference(target, 3, 20, masks));
    });
  }

  it('refuses bad masks, targets and ranges', () => {
    const t = new Uint32Array(4);
    expect(() => applyMasks(crypto, 'x' as never, t, 0, 32)).toThrow(TypeError);
    expect(() => applyMasks(crypto, [{ key: masks[0]!.key, sign: 0 as never }], t, 0, 32)).toThrow(TypeError);
    expect(() => applyMasks(crypto, [null as never], t, 0, 32)).toThrow(TypeError);
    expect(() => applyMasks(crypto, masks, new Int32Array(4) as never, 0, 32)).toThrow(TypeError);
    for (const bad of [-1, 1.5, NaN]) expect(() => applyMasks(crypto, masks, t, bad, 32)).toThrow(RangeError);
    for (const bad of [0, 33]) expect(() => applyMasks(crypto, masks, t, 0, bad)).toThrow(RangeError);
  });
});
