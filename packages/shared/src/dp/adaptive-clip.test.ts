import { describe, expect, it } from 'vitest';
import { ADAPTIVE_CLIP_DEFAULTS, combinedNoiseMultiplier, splitAdaptiveNoise, unclippedBitRecord, updateAdaptiveClip } from './adaptive-clip.js';

describe('adaptive clipping (Andrew et al. 2021; TFF gaussian_adaptive)', () => {
  it('uses the TFF defaults', () => {
    // tensorflow_federated/python/aggregators/differential_privacy.py, gaussian_adaptive signature.
    expect(ADAPTIVE_CLIP_DEFAULTS).toEqual({ initialClip: 0.1, targetUnclippedQuantile: 0.5, learningRate: 0.2, clippedCountStddevFraction: 0.05 });
  });

  it('splits z so that z_delta^-2 + (2 sigma_b)^-2 = z^-2 (adaptive_clip_noise_params)', () => {
    const { valueNoiseMultiplier, clippedCountStddev } = splitAdaptiveNoise(1.0, 100);
    expect(clippedCountStddev).toBe(5); // 0.05 * clients_per_round
    expect(valueNoiseMultiplier).toBeCloseTo((1 - 1 / 100) ** -0.5, 12);
    expect(combinedNoiseMultiplier(valueNoiseMultiplier, clippedCountStddev)).toBeCloseTo(1, 12);
    expect(splitAdaptiveNoise(0, 100)).toEqual({ valueNoiseMultiplier: 0, clippedCountStddev: 0 });
    expect(() => splitAdaptiveNoise(1, 10)).toThrow(/clippedCountStddev/); // z >= 2 * 0.5
  });

  it('geometric update: C exp(-eta (b_bar - gamma)), b_bar clamped to [0, 1]', () => {
    // All 10 nodes unclipped: records sum to +5, b_bar = 1, C shrinks by exp(-0.2 * 0.5).
    expect(updateAdaptiveClip(1, 5, 10)).toBeCloseTo(Math.exp(-0.1), 14);
    expect(updateAdaptiveClip(1, -5, 10)).toBeCloseTo(Math.exp(0.1), 14);
    expect(updateAdaptiveClip(2, 0, 10)).toBe(2);
    expect(updateAdaptiveClip(1, 1e9, 10)).toBeCloseTo(Math.exp(-0.1), 14);
    expect(unclippedBitRecord(0.5, 1)).toBe(0.5);
    expect(unclippedBitRecord(1.5, 1)).toBe(-0.5);
  });

  it('converges to the target quantile on noiseless data', () => {
    const norms = Array.from({ length: 101 }, (_, i) => 1 + i / 100); // median 1.5
    let c = 0.1;
    for (let r = 0; r < 400; r++) c = updateAdaptiveClip(c, norms.reduce((s, n) => s + unclippedBitRecord(n, c), 0), norms.length);
    expect(Math.abs(c - 1.5)).toBeLessThan(0.02);
  });

  it('rejects hostile inputs', () => {
    for (const v of [NaN, Infinity, -1]) {
      expect(() => splitAdaptiveNoise(v, 10)).toThrow(RangeError);
      expect(() => updateAdaptiveClip(v, 0, 10)).toThrow(RangeError);
      expect(() => updateAdaptiveClip(1, v === -1 ? NaN : v, 10)).toThrow(RangeError);
      expect(() => unclippedBitRecord(v, 1)).toThrow(RangeError);
    }
    expect(() => splitAdaptiveNoise(1, 0)).toThrow(RangeError);
    expect(() => updateAdaptiveClip(1, 0, 10, { targetUnclippedQuantile: 1.5 })).toThrow(RangeError);
    expect(() => updateAdaptiveClip(1, 0, 10, { learningRate: -1 })).toThrow(RangeError);
    expect(() => combinedNoiseMultiplier(0, 1)).toThrow(RangeError);
  });
});
