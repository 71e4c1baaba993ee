// The SIMD accumulator adds exactly like the scalar ring add, for every length and offset, and
// its deferred reduction mod 2^b gives the same ring values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RingAccumulator, ringSimdAvailable } from './ring-accumulator.js';
import { ringAddInto, ringMask, ringSubInto } from './ring.js';

describe('RingAccumulator (WebAssembly SIMD)', () => {
  it('is available on this Node (WebAssembly SIMD)', () => {
    expect(ringSimdAvailable()).toBe(true);
  });

  it('property: equals the scalar ring add, mod 2^bits, for any chunks, lengths and offsets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.array(fc.tuple(fc.nat(69), fc.uint32Array({ minLength: 1, maxLength: 40 })), { maxLength: 6 }),
        fc.integer({ min: 1, max: 32 }),
        (length, chunks, bits) => {
          const acc = new RingAccumulator(length, 40);
          const ref = new Uint32Array(length);
          for (const [at, raw] of chunks) {
            const offset = Math.min(at, length - 1);
            const x = raw.subarray(0, Math.min(raw.length, length - offset)).map((v) => (v & ringMask(bits)) >>> 0);
            acc.add(x, offset);
            ringAddInto(ref, x, bits, offset);
          }
          expect(Array.from(acc.sum, (v) => (v & ringMask(bits)) >>> 0)).toEqual(Array.from(ref));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('adds chunks longer than its copy block, at unaligned offsets, like the scalar add', () => {
    const length = 20_011;
    const acc = new RingAccumulator(length, 12_000);
    const ref = new Uint32Array(length);
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0);
    for (const [offset, len] of [[0, 12_000], [3, 11_999], [8_011, 12_000], [17, 9_001]] as const) {
      const x = Uint32Array.from({ length: len }, next);
      acc.add(x, offset);
      ringAddInto(ref, x, 32, offset);
    }
    expect(acc.sum).toEqual(ref);
  });

  it('wraps at 2^32 in every lane and matches the JS fallback', () => {
    const simd = new RingAccumulator(9, 9);
    const js = new RingAccumulator(9, 9, false);
    const x = Uint32Array.from({ length: 9 }, (_, i) => 0xffffffff - i);
    for (const a of [simd, js]) {
      a.add(x, 0);
      a.add(Uint32Array.from({ length: 9 }, () => 3), 0);
    }
    expect(Array.from(simd.sum)).toEqual(Array.from(x, (v) => (v + 3) >>> 0));
    expect(Array.from(js.sum)).toEqual(Array.from(simd.sum));
  });

  it('adds and subtracts a chunk written in place in its scratch, and a view inside the scratch, like a copied one', () => {
    const acc = new RingAccumulator(5000, 4096);
    const ref = new Uint32Array(5000);
    const x = Uint32Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 0);
    const view = acc.scratchView(4096)!;
    view.set(x);
    acc.add(view, 900);
    ringAddInto(ref, x, 32, 900);
    view.set(x);
    acc.subtract(view.subarray(0, 1000), 7);
    ringSubInto(ref, x.subarray(0, 1000), 32, 7);
    view.set(x);
    acc.add(view.subarray(5, 2000), 3000); // starts inside the scratch: copied (overlapping set is safe)
    ringAddInto(ref, x.subarray(5, 2000), 32, 3000);
    expect(acc.sum).toEqual(ref);
  });

  it('refuses chunks that overrun the sum or the scratch, and bad sizes', () => {
    const a = new RingAccumulator(8, 4);
    expect(() => a.add(new Uint32Array(4), 5)).toThrow(RangeError);
    expect(() => a.add(new Uint32Array(5), 0)).toThrow(RangeError);
    expect(() => a.add(new Uint32Array(1), -1)).toThrow(RangeError);
    expect(() => a.add(new Uint32Array(1), 1.5)).toThrow(RangeError);
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53]) expect(() => new RingAccumulator(bad, 4)).toThrow(RangeError);
  });
});
