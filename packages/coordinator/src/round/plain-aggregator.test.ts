// The plain aggregator's mean does not depend on arrival order (property test: random updates of
// mixed magnitudes, every node count 2-12, many permutations, the float32 mean bit for bit), is the
// example-weighted mean, and refuses a wrong length.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FedtuneError } from '@fedtune/shared';
import { PlainAggregator } from './plain-aggregator.js';

const meanOf = (updates: readonly { delta: Float32Array; n: number }[], order: readonly number[], dim: number) => {
  const agg = new PlainAggregator(dim, 'examples');
  for (const i of order) agg.add(updates[i]!.delta, updates[i]!.n, {});
  return agg.finish().meanDelta;
};

describe('PlainAggregator', () => {
  it('gives the same float32 mean in any arrival order (200 cases, 6 orders each)', () => {
    const update = fc.record({
      // Magnitudes spread over many binades, some large enough to cancel: where a plain float64 sum
      // depends on the order (1e30 + 1 - 1e30 is 0 one way and 1 the other).
      delta: fc.float32Array({ minLength: 16, maxLength: 16, noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }),
      n: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(update, { minLength: 2, maxLength: 12 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), (updates, seeds) => {
        const base = Array.from(updates.keys());
        const expected = meanOf(updates, base, 16);
        for (const seed of seeds) {
          const order = [...base];
          for (let i = order.length - 1; i > 0; i--) {
            const j = (seed + i * 7919) % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          expect(Buffer.from(meanOf(updates, order, 16).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps what cancellation would lose: 1e30, 1, -1e30 average to 1/3 in every order (a plain float64 sum gives 0 in some)', () => {
    const updates = [1e30, 1, -1e30].map((v) => ({ delta: Float32Array.of(Math.fround(v)), n: 1 }));
    for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [2, 1, 0]]) expect(meanOf(updates, order, 1)[0]).toBe(Math.fround(1 / 3));
  });

  it('is the example-weighted mean; refuses a wrong length and an empty round', () => {
    const agg = new PlainAggregator(2, 'examples');
    agg.add(Float32Array.of(1, 2), 1, {});
    agg.add(Float32Array.of(4, 8), 3, {});
    expect([...agg.finish().meanDelta]).toEqual([3.25, 6.5]);
    expect(() => agg.add(new Float32Array(3), 1, {})).toThrow(FedtuneError);
    expect(() => new PlainAggregator(2, 'uniform').finish()).toThrow(/no weighted updates/);
  });
});
