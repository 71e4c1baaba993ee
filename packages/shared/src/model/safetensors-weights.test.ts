// Federated weights as safetensors: the layout order survives a reader that reorders JSON keys,
// metadata round-trips, and hostile order lists and files are refused with a code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeLayoutMismatch } from './layout-diff.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { weightsFromSafetensors, weightsToSafetensors } from './safetensors-weights.js';

describe('weights as safetensors', () => {
  it('property: any layout and values round-trip in order, with the metadata', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })), { selector: ([n]) => n, minLength: 1, maxLength: 6 }),
        (specs) => {
          const tensors = specs.map(([name, shape]) => ({ name, shape }));
          const n = tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
          const data = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
          const back = weightsFromSafetensors(weightsToSafetensors({ tensors, data }, { format: 'x' }));
          expect(back.weights.tensors).toEqual(tensors);
          expect(back.weights.data).toEqual(data);
          expect(back.metadata).toEqual({ format: 'x' });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps the order where JSON would not: integer-like names sort first in a JS object', () => {
    const w = { tensors: [{ name: 'b', shape: [1] }, { name: '10', shape: [1] }, { name: '2', shape: [1] }], data: new Float32Array([1, 2, 3]) };
    expect(weightsFromSafetensors(weightsToSafetensors(w)).weights).toEqual(w);
    // A hostile name is a name: "__proto__" was silently dropped (set as the header's prototype).
    const odd = { tensors: [{ name: '__proto__', shape: [1] }, { name: 'constructor', shape: [1] }], data: new Float32Array([7, 8]) };
    expect(weightsFromSafetensors(weightsToSafetensors(odd)).weights).toEqual(odd);
    // Without the order in the metadata a file is read in header order.
    const plain = serializeSafetensors([{ name: 'x', shape: [2], data: new Float32Array([5, 6]) }]);
    expect(weightsFromSafetensors(plain).weights).toEqual({ tensors: [{ name: 'x', shape: [2] }], data: new Float32Array([5, 6]) });
  });

  it('refuses an order list that does not name the tensors once each, and hostile files', () => {
    const t = [{ name: 'a', shape: [1], data: new Float32Array([1]) }, { name: 'b', shape: [1], data: new Float32Array([2]) }];
    for (const order of ['["a"]', '["a","a"]', '["a","c"]', 'not json', '{"a":1}', '[1,2]']) {
      expect(() => weightsFromSafetensors(serializeSafetensors(t, { 'fedtune.layout': order })), order).toThrow(expect.objectContaining({ code: 'FT_ERR_MALFORMED' }));
    }
    for (const bad of [new Uint8Array(0), new Uint8Array(7), new TextEncoder().encode('{"a":1}')]) expect(() => weightsFromSafetensors(bad)).toThrow(expect.objectContaining({ code: 'FT_ERR_MALFORMED' }));
    expect(parseSafetensors(weightsToSafetensors({ tensors: [{ name: 'w', shape: [1] }], data: new Float32Array([1]) })).metadata['fedtune.layout']).toBe('["w"]');
  });
});

describe('describeLayoutMismatch', () => {
  const w = (name: string, ...shape: number[]) => ({ name, shape });
  it('names the first difference in words', () => {
    expect(describeLayoutMismatch([w('a', 2)], [w('a', 2)])).toBeNull();
    expect(describeLayoutMismatch([w('dense/kernel', 32, 9)], [w('dense/kernel', 32, 10)])).toBe('tensor "dense/kernel" is [32, 9] in this node but [32, 10] in the global model (288 vs 320 values)');
    expect(describeLayoutMismatch([w('a', 2)], [w('b', 2)])).toBe('tensor 0 is "a" in this node but "b" in the global model');
    expect(describeLayoutMismatch([w('a', 2)], [w('a', 2), w('c', 3)])).toBe('the global model has tensor "c" [3] that this node lacks (2 tensors vs 1)');
    expect(describeLayoutMismatch([w('a', 2), w('c', 3)], [w('a', 2)], 'the update')).toBe('the update has tensor "c" [3] that the global model lacks (2 tensors vs 1)');
    expect(describeLayoutMismatch([w('a', 2, 2)], [w('a', 4)])).toContain('[2, 2] in this node but [4]');
  });
});
