// LoRA merging (Hu et al. 2021, section 4.1): W' = W + (alpha/r) A B checked against a float64
// reference on random shapes, base names with Hugging Face's prefix, and adapters that do not fit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeLora, type NamedTensor } from './lora-merge.js';

const t = (shape: number[], f: (i: number) => number): NamedTensor => ({ shape, data: Float32Array.from({ length: shape[0]! * shape[1]! }, (_, i) => f(i)) });

describe('mergeLora', () => {
  it('a hand-computed case: [[1,2],[3,4]] + 2 * [1;2] [1,1]', () => {
    const base = new Map([['h.0.attn.c_proj.weight', t([2, 2], (i) => i + 1)], ['h.0.ln_1.weight', t([1, 2], () => 1)]]);
    const adapters = new Map([['h.0.attn.c_proj.lora_A', t([2, 1], (i) => i + 1)], ['h.0.attn.c_proj.lora_B', t([1, 2], () => 1)]]);
    const out = mergeLora(base, adapters, 2);
    expect([...out.get('h.0.attn.c_proj.weight')!.data]).toEqual([3, 4, 7, 8]);
    // Untouched tensors are the base's own.
    expect(out.get('h.0.ln_1.weight')).toBe(base.get('h.0.ln_1.weight'));
    expect([...base.get('h.0.attn.c_proj.weight')!.data]).toEqual([1, 2, 3, 4]);
  });

  it('property: equals a float64 reference of W + s A B (float32 rounding of the result only)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4 }), fc.double({ min: 0.1, max: 8, noNaN: true }), fc.integer(), (n, m, r, scale, seed) => {
        const rnd = (i: number) => Math.sin(seed + i * 12.9898) * 2;
        const w = t([n, m], rnd);
        const a = t([n, r], (i) => rnd(i + 1000));
        const b = t([r, m], (i) => rnd(i + 2000));
        const out = mergeLora(new Map([['transformer.h.3.mlp.c_fc.weight', w]]), new Map([['h.3.mlp.c_fc.lora_A', a], ['h.3.mlp.c_fc.lora_B', b]]), scale).get('transformer.h.3.mlp.c_fc.weight')!;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < m; j++) {
            let ab = 0;
            for (let k = 0; k < r; k++) ab += a.data[i * r + k]! * b.data[k * m + j]!;
            expect(out.data[i * m + j]).toBe(Math.fround(w.data[i * m + j]! + scale * ab));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses adapters that do not fit: no base weight, a lone half, shapes that do not chain, other names, bad scales', () => {
    const base = new Map([['h.0.attn.c_attn.weight', t([4, 12], () => 0)]]);
    const pair = (aShape: number[], bShape: number[], name = 'h.0.attn.c_attn') => new Map([[`${name}.lora_A`, t(aShape, () => 1)], [`${name}.lora_B`, t(bShape, () => 1)]]);
    expect(() => mergeLora(base, pair([4, 2], [2, 12], 'h.1.attn.c_attn'), 1)).toThrow(expect.objectContaining({ code: 'FT_ERR_SHAPE', message: expect.stringContaining('no h.1.attn.c_attn.weight') }));
    expect(() => mergeLora(base, new Map([['h.0.attn.c_attn.lora_A', t([4, 2], () => 1)]]), 1)).toThrow(expect.objectContaining({ message: expect.stringContaining('lora_A without lora_B') }));
    expect(() => mergeLora(base, pair([4, 2], [3, 12]), 1)).toThrow(expect.objectContaining({ message: expect.stringContaining('do not chain') }));
    expect(() => mergeLora(base, pair([5, 2], [2, 12]), 1)).toThrow(expect.objectContaining({ code: 'FT_ERR_SHAPE' }));
    expect(() => mergeLora(base, new Map([['h.0.attn.c_attn.weight', t([4, 12], () => 1)]]), 1)).toThrow(expect.objectContaining({ message: expect.stringContaining('not a LoRA adapter') }));
    for (const s of [0, -1, NaN, Infinity]) expect(() => mergeLora(base, pair([4, 2], [2, 12]), s)).toThrow(RangeError);
  });
});
