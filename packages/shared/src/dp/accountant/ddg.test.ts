import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distributedLocalVariance, ddgSensitivity, ddgTau, rdpDistributedDiscreteGaussian, rdpPoissonSubsampled } from './ddg.js';
import { RdpAccountant } from './rdp-accountant.js';
import { rdpSampledGaussian } from './rdp-gaussian.js';

describe('distributed discrete Gaussian RDP (Kairouz, Liu, Steinke 2021)', () => {
  it('tau = 10 sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k/(k+1)); 0 for one node; negligible for sigma >= 1', () => {
    expect(ddgTau(1, 1)).toBe(0);
    const s2 = 0.1;
    let want = 0;
    for (let k = 1; k < 5; k++) want += Math.exp((-2 * Math.PI ** 2 * s2 * k) / (k + 1));
    expect(ddgTau(s2, 5)).toBeCloseTo(10 * want, 14);
    expect(ddgTau(1, 1000)).toBeLessThan(10 * 1000 * Math.exp(-(Math.PI ** 2)));
  });

  it('rounding sensitivity: Delta_2 = min(c/g + sqrt d, sqrt((c/g)^2 + d/4 + sqrt(2 log 1/beta)(c/g + sqrt d / 2)))', () => {
    const { l2, l1 } = ddgSensitivity({ clip: 1, granularity: 1 / 1000, dimension: 100, beta: Math.exp(-0.5) });
    const x = 1000;
    const want = Math.min(x + 10, Math.sqrt(x * x + 25 + 1 * (x + 5)));
    expect(l2).toBeCloseTo(want, 10);
    expect(l1).toBeCloseTo(want * 10, 8);
    expect(ddgSensitivity({ clip: 1, granularity: 1, dimension: 4, beta: 0 }).l2).toBe(3);
  });

  it('with one node (tau = 0) it is exactly the Gaussian RDP alpha s^2 / 2', () => {
    for (const a of [1.5, 2, 8, 64]) {
      expect(rdpDistributedDiscreteGaussian({ l2Sensitivity: 10, localVariance: 400, nodes: 1, dimension: 1000 }, a)).toBeCloseTo(rdpSampledGaussian(1, 2, a), 12);
    }
  });

  it('tends to the continuous Gaussian of multiplier sqrt(n sigma^2)/Delta_2 and never goes below it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.double({ min: 0.05, max: 50, noNaN: true }), fc.integer({ min: 2, max: 64 }), (n, s2, a) => {
        const params = { l2Sensitivity: 5, localVariance: s2, nodes: n, dimension: 10_000 };
        const z = Math.sqrt(n * s2) / 5;
        expect(rdpDistributedDiscreteGaussian(params, a)).toBeGreaterThanOrEqual(rdpSampledGaussian(1, z, a) * (1 - 1e-12));
      }),
      { numRuns: 50 },
    );
    const z = 1.2;
    const n = 100;
    const s2 = distributedLocalVariance(z, 50, n);
    expect(s2).toBeCloseTo(36, 12); // (1.2 * 50)^2 / 100
    const r = rdpDistributedDiscreteGaussian({ l2Sensitivity: 50, localVariance: s2, nodes: n, dimension: 1_000_000 }, 8);
    expect(Math.abs(r / rdpSampledGaussian(1, z, 8) - 1)).toBeLessThan(1e-9);
  });

  it('Zhu-Wang subsampling: q = 1 is the unsampled curve, q = 0 is 0, and it bounds the exact sampled Gaussian from above', () => {
    const gauss = (a: number): number => a / (2 * 1.5 * 1.5);
    expect(rdpPoissonSubsampled(1, 4, gauss)).toBe(gauss(4));
    expect(rdpPoissonSubsampled(0, 4, gauss)).toBe(0);
    expect(rdpPoissonSubsampled(0.1, 4.5, gauss)).toBe(Infinity);
    for (const q of [1e-3, 0.01, 0.1]) for (const a of [2, 3, 10, 40]) expect(rdpPoissonSubsampled(q, a, gauss)).toBeGreaterThanOrEqual(rdpSampledGaussian(q, 1.5, a) * (1 - 1e-8)); // log1p of ~1e-7: rounding ~1e-10 relative
  });

  it('composes in the accountant as an event', () => {
    const ddg = { l2Sensitivity: 50, localVariance: distributedLocalVariance(1, 50, 20), nodes: 20, dimension: 1000 };
    const acc = new RdpAccountant().compose({ kind: 'distributed-discrete-gaussian', samplingRate: 1, ddg, count: 10 });
    const ref = new RdpAccountant().compose({ kind: 'sampled-gaussian', samplingRate: 1, noiseMultiplier: 1, count: 10 });
    expect(acc.epsilon(1e-5).epsilon).toBeGreaterThanOrEqual(ref.epsilon(1e-5).epsilon);
    expect(acc.epsilon(1e-5).epsilon).toBeLessThan(ref.epsilon(1e-5).epsilon * 1.001);
  });

  it('rejects hostile inputs', () => {
    const ok = { l2Sensitivity: 5, localVariance: 1, nodes: 3, dimension: 10 };
    for (const [k, v] of [
      ['l2Sensitivity', 0],
      ['l2Sensitivity', NaN],
      ['localVariance', -1],
      ['localVariance', Infinity],
      ['nodes', 0],
      ['nodes', 1.5],
      ['dimension', 0],
      ['l1Sensitivity', -1],
    ] as const) {
      expect(() => rdpDistributedDiscreteGaussian({ ...ok, [k]: v }, 2)).toThrow(RangeError);
    }
    for (const a of [1, 0.5, NaN]) expect(() => rdpDistributedDiscreteGaussian(ok, a)).toThrow(RangeError);
    expect(() => ddgSensitivity({ clip: 1, granularity: 1, dimension: 4, beta: 1 })).toThrow(RangeError);
    expect(() => ddgSensitivity({ clip: 0, granularity: 1, dimension: 4, beta: 0 })).toThrow(RangeError);
    expect(() => distributedLocalVariance(1, 1, 0)).toThrow(RangeError);
    expect(() => rdpPoissonSubsampled(1.5, 2, (a) => a)).toThrow(RangeError);
  });
});
