import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { l2Norm } from '../math/vector.js';
import { clipL2 } from './clip.js';

const vec = fc.float32Array({ minLength: 0, maxLength: 64, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const clipArb = fc.double({ min: 1e-6, max: 1e6, noNaN: true });

describe('clipL2', () => {
  it('never leaves a norm above C (float64 norm of the float32 output)', () => {
    fc.assert(fc.property(vec, clipArb, (x, c) => l2Norm(clipL2(x, c).clipped) <= c));
  });

  it('is a no-op copy under C and reports the pre-clip norm', () => {
    fc.assert(
      fc.property(vec, (x) => {
        const n = l2Norm(x);
        const r = clipL2(x, n + 1);
        expect(r.wasClipped).toBe(false);
        expect(r.norm).toBe(n);
        expect(Array.from(r.clipped)).toEqual(Array.from(x));
        expect(r.clipped).not.toBe(x);
      }),
    );
  });

  it('keeps the direction (cosine 1 within float32 rounding) and does not modify the input', () => {
    fc.assert(
      fc.property(vec, clipArb, (x, c) => {
        const before = Float32Array.from(x);
        const r = clipL2(x, c);
        expect(Array.from(x)).toEqual(Array.from(before));
        const n = l2Norm(x);
        if (n === 0 || l2Norm(r.clipped) === 0) return;
        let dot = 0;
        for (let i = 0; i < x.length; i++) dot += x[i]! * r.clipped[i]!;
        // float32 output: relative error per coordinate <= 2^-24, so cosine >= 1 - 1e-6.
        expect(dot / (n * l2Norm(r.clipped))).toBeGreaterThan(1 - 1e-6);
        expect(r.wasClipped).toBe(n > c);
      }),
    );
  });

  it('clips a known vector: (3, 4) to C = 1 gives (0.6, 0.8)', () => {
    const r = clipL2(new Float32Array([3, 4]), 1);
    expect(r.norm).toBe(5);
    expect(r.wasClipped).toBe(true);
    expect(r.clipped[0]).toBeCloseTo(0.6, 6);
    expect(r.clipped[1]).toBeCloseTo(0.8, 6);
  });

  it('handles norms whose squares overflow float64 only through rescaling', () => {
    const x = new Float32Array(4).fill(3e38);
    const r = clipL2(x, 1);
    expect(r.norm).toBeCloseTo(6e38, -33);
    expect(l2Norm(r.clipped)).toBeLessThanOrEqual(1);
  });

  it('rejects hostile inputs', () => {
    expect(() => clipL2(new Float32Array([NaN]), 1)).toThrow(RangeError);
    expect(() => clipL2(new Float32Array([1, Infinity]), 1)).toThrow(/delta\[1\]/);
    expect(() => clipL2(new Float64Array([1]) as unknown as Float32Array, 1)).toThrow(TypeError);
    expect(() => clipL2([1, 2] as unknown as Float32Array, 1)).toThrow(TypeError);
    for (const c of [0, -1, NaN, Infinity]) expect(() => clipL2(new Float32Array([1]), c)).toThrow(RangeError);
    expect(() => clipL2(new Float32Array([1]), '1' as unknown as number)).toThrow(TypeError);
  });
});
