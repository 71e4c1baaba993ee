import { describe, expect, it } from 'vitest';
import { convolve } from './fft.js';
import { erfc, logAdd, logErfc } from './special.js';

describe('special functions', () => {
  it('logErfc matches scipy (log(erfc) and log_ndtr for the far tail) to 1e-13 relative', () => {
    // Reference values from scipy.special 1.x: log(erfc(x)) for x < 20, log(2) + log_ndtr(-x sqrt 2) beyond.
    const ref: [number, number][] = [
      [-3, 0.6931361352504468],
      [-0.5, 0.41903914777555956],
      [0.3, -0.3984300514400853],
      [1, -1.849605509933248],
      [1.99, -5.320852015139977],
      [2, -5.364941264616638],
      [2.5, -7.806815272727264],
      [5, -27.200889545537436],
      [10, -102.87988902484489],
      [30, -903.9741171106442],
      [100, -10005.177585122668],
    ];
    for (const [x, want] of ref) expect(Math.abs(logErfc(x) - want) / Math.abs(want)).toBeLessThan(1e-13);
    expect(logErfc(0)).toBe(0);
    expect(erfc(0)).toBe(1);
    expect(logErfc(Infinity)).toBe(-Infinity);
    expect(Number.isNaN(logErfc(NaN))).toBe(true);
  });

  it('logAdd is log(e^a + e^b) without overflow', () => {
    expect(logAdd(-Infinity, 3)).toBe(3);
    expect(logAdd(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAdd(Math.log(2), Math.log(3))).toBeCloseTo(Math.log(5), 14);
  });

  it('FFT convolution equals the direct sum', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => Math.exp(-i / 30));
    const b = Float64Array.from({ length: 200 }, (_, i) => 1 / (1 + i));
    const got = convolve(a, b);
    expect(got.length).toBe(499);
    for (const k of [0, 1, 150, 299, 498]) {
      let s = 0;
      for (let i = 0; i < a.length; i++) if (k - i >= 0 && k - i < b.length) s += a[i]! * b[k - i]!;
      expect(Math.abs(got[k]! - s)).toBeLessThan(1e-12);
    }
  });
});
