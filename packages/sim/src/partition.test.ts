import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { partitionDirichlet, partitionIid } from './partition.js';

const random = (s: string) => seededRandom(nodeCryptoProvider, s);

describe('partitioners', () => {
  it('IID shards are disjoint, cover every row, and are balanced', () => {
    const shards = partitionIid(103, 10, random('iid'));
    const all = shards.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect(Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length))).toBeLessThanOrEqual(1);
  });

  it('Dirichlet shards are disjoint and skew labels more as alpha shrinks', () => {
    const labels = Int32Array.from({ length: 2000 }, (_, i) => i % 10);
    const skew = (alpha: number) => {
      const shards = partitionDirichlet(labels, 10, 20, alpha, random(`d${alpha}`));
      expect(new Set(shards.flat()).size).toBe(shards.flat().length);
      // Mean share of a node's most common label.
      return shards.reduce((s, sh) => {
        const c = new Array(10).fill(0);
        for (const r of sh) c[labels[r]!]++;
        return s + Math.max(...c) / sh.length;
      }, 0) / shards.length;
    };
    const low = skew(0.1);
    const high = skew(100);
    expect(low).toBeGreaterThan(0.5);
    expect(high).toBeLessThan(0.25);
  });

  it('is reproducible from the seed and rejects bad alpha', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => i % 4);
    expect(partitionDirichlet(labels, 4, 5, 0.5, random('x'))).toEqual(partitionDirichlet(labels, 4, 5, 0.5, random('x')));
    expect(() => partitionDirichlet(labels, 4, 5, 0, random('x'))).toThrow(RangeError);
    expect(() => partitionDirichlet(labels, 4, 5, NaN, random('x'))).toThrow(RangeError);
  });
});
