// The central-DP grid: its sensitivity bound holds for every update the aggregator accepts
// (property test), the release is a fixed function of the noised integers, hostile inputs are
// refused with coded errors and change nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClippedGridAggregator, centralGranularity, gridSensitivity, releaseOnGrid } from './central-grid.js';

const l2 = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('central DP grid', () => {
  it('granularity: a power of two with C / g >= 2^16 sqrt(d), the largest such', () => {
    for (const [clip, d] of [[1, 1], [1, 16], [2.5, 1000], [0.01, 1 << 20]] as const) {
      const g = centralGranularity(clip, d);
      expect(Number.isInteger(Math.log2(g))).toBe(true);
      expect(clip / g).toBeGreaterThanOrEqual(2 ** 16 * Math.sqrt(d));
      expect(clip / (2 * g)).toBeLessThan(2 ** 16 * Math.sqrt(d));
    }
    for (const bad of [0, -1, NaN, Infinity]) expect(() => centralGranularity(bad, 10)).toThrow(RangeError);
    for (const bad of [0, 1.5, -3, NaN, 2 ** 53]) expect(() => centralGranularity(1, bad)).toThrow(RangeError);
  });

  it('property: one accepted update moves the integer sum by at most the sensitivity it is accounted at', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0.01, max: 3, noNaN: true }), (values, clip) => {
        let delta = Float32Array.from(values);
        const n = l2(delta);
        if (n > clip) delta = delta.map((v) => Math.fround((v * clip) / n / (1 + 1e-6)));
        const g = centralGranularity(clip, delta.length);
        const agg = new ClippedGridAggregator(delta.length, clip, g);
        agg.add(delta, 0, {});
        const { grid } = agg.finish();
        for (const v of grid!.sum) expect(Number.isInteger(v)).toBe(true);
        expect(l2(grid!.sum)).toBeLessThanOrEqual(gridSensitivity(clip, g, delta.length, 'nearest'));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses hostile updates with coded errors and keeps the sum as it was', () => {
    const agg = new ClippedGridAggregator(3, 1, centralGranularity(1, 3));
    agg.add(Float32Array.from([0.5, 0, 0]), 0, {});
    const before = Float64Array.from(agg.finish().grid!.sum);
    const bad: [Float32Array, string][] = [
      [Float32Array.from([2, 0, 0]), 'FT_ERR_BOUND'],
      [Float32Array.from([NaN, 0, 0]), 'FT_ERR_NON_FINITE'],
      [Float32Array.from([Infinity, 0, 0]), 'FT_ERR_NON_FINITE'],
      [Float32Array.from([0.1, 0.1]), 'FT_ERR_SHAPE'],
      [Float32Array.from([3.4e38, 3.4e38, 0]), 'FT_ERR_BOUND'],
    ];
    for (const [d, code] of bad) expect(() => agg.add(d, 0, {})).toThrow(expect.objectContaining({ code }));
    expect(Array.from(agg.finish().grid!.sum)).toEqual(Array.from(before));
    expect(agg.size).toBe(1);
    for (const [len, clip, g] of [[-1, 1, 1], [1.5, 1, 1], [3, 0, 1], [3, NaN, 1], [3, 1, 0], [3, 1, Infinity]] as const) {
      expect(() => new ClippedGridAggregator(len, clip, g)).toThrow(RangeError);
    }
  });

  it('an update within float32 rounding of the clip is scaled onto it, not refused', () => {
    const g = centralGranularity(1, 2);
    const agg = new ClippedGridAggregator(2, 1, g);
    agg.add(Float32Array.from([Math.fround(1 + 5e-7), 0]), 0, {});
    expect(l2(agg.finish().grid!.sum)).toBeLessThanOrEqual(gridSensitivity(1, g, 2, 'nearest'));
  });

  it('an empty round releases noise alone; the release divides by the fixed denominator', () => {
    const agg = new ClippedGridAggregator(2, 1, 0.25);
    const { grid, count } = agg.finish();
    expect(count).toBe(0);
    expect(Array.from(releaseOnGrid(grid!, Float64Array.from([4, -8]), 2))).toEqual([0.5, -1]);
    expect(Array.from(releaseOnGrid({ sum: Float64Array.from([3, 1]), granularity: 0.5, rounding: 'randomized' }, null, 4))).toEqual([0.375, 0.125]);
    for (const bad of [0, -1, NaN, Infinity]) expect(() => releaseOnGrid(grid!, null, bad)).toThrow(RangeError);
    expect(() => releaseOnGrid(grid!, new Float64Array(3), 1)).toThrow(RangeError);
    expect(gridSensitivity(1, 0.25, 16, 'nearest')).toBe(4 + 2);
    expect(gridSensitivity(1, 0.25, 16, 'randomized')).toBe(4 + 4);
  });
});
