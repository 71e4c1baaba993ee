import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rdpToEpsilon } from './conversion.js';
import { ddgSensitivity, distributedLocalVariance } from './ddg.js';
import { DEFAULT_RDP_ORDERS, sampledGaussianEpsilon } from './rdp-accountant.js';
import { rdpGaussian, rdpSampledGaussian } from './rdp-gaussian.js';
import { rdpSkellam, rdpSkellamOrders, skellamEpsilon, type SkellamParams } from './skellam.js';

/** One node, variance mu, given sensitivities (d only feeds the default Delta_1). */
function central(mu: number, l2: number, l1?: number, dimension = 1): SkellamParams {
  return l1 === undefined ? { l2Sensitivity: l2, localVariance: mu, nodes: 1, dimension } : { l2Sensitivity: l2, l1Sensitivity: l1, localVariance: mu, nodes: 1, dimension };
}

describe('Skellam mechanism RDP (Agarwal, Kairouz, Liu 2021)', () => {
  it('known answers: eps(a) = a D2^2/(2 mu) + min(((2a-1) D2^2 + 6 D1)/(4 mu^2), 3 D1/(2 mu)), worked by hand', () => {
    // a = 2, D2 = D1 = 1, mu = 1: 1 + min(9/4, 3/2) = 5/2 (the L1 branch binds).
    expect(rdpSkellam(central(1, 1, 1), 2)).toBe(2.5);
    // a = 2, D = 1, mu = 10: 1/10 + min(9/400, 3/20) = 0.1225 (the 1/mu^2 branch binds).
    expect(rdpSkellam(central(10, 1, 1), 2)).toBeCloseTo(0.1225, 15);
    // a = 8, D2 = 3, D1 = 9, mu = 100: 72/200 + min(189/40000, 27/200) = 0.364725.
    expect(rdpSkellam(central(100, 3, 9), 8)).toBeCloseTo(0.364725, 15);
    // n = 4 nodes of variance 25 are one Skellam of variance 100.
    expect(rdpSkellam({ l2Sensitivity: 3, l1Sensitivity: 9, localVariance: 25, nodes: 4, dimension: 50 }, 8)).toBe(rdpSkellam(central(100, 3, 9), 8));
    // Default D1 = D2 min(sqrt d, D2): D2 = 3, d = 4 gives D1 = 6.
    expect(rdpSkellam(central(100, 3, undefined, 4), 8)).toBe(rdpSkellam(central(100, 3, 6), 8));
  });

  it("matches the model-unit form of Google's reference accounting (google-research/federated distributed_dp/accounting_utils.py, _skellam_rdp)", () => {
    // There, with model-unit sensitivities c1, c2, central variance v (model units^2) and scale s:
    // a/(2v) c2^2 + min(((2a-1) s c2^2 + 6 c1)/(4 s^3 v^2), 3 c1/(2 s v)); ring units are D = s c, mu = s^2 v.
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 10, noNaN: true }),
        fc.double({ min: 1e-4, max: 10, noNaN: true }),
        fc.integer({ min: 2, max: 256 }),
        (s, c2, v, a) => {
          const c1 = c2 * 7;
          const ref = (a / (2 * v)) * c2 * c2 + Math.min(((2 * a - 1) * s * c2 * c2 + 6 * c1) / (4 * s ** 3 * v * v), (3 * c1) / (2 * s * v));
          const ours = rdpSkellam(central(s * s * v, s * c2, s * c1), a);
          expect(Math.abs(ours / ref - 1)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 200, seed: 4995 },
    );
  });

  it('tends to the Gaussian RDP a D2^2 / (4 rate) = a D2^2 / (2 mu) as the noise grows, never below it', () => {
    const l2 = 100;
    const d = 10_000;
    let lastGap = Infinity;
    for (const rate of [1e3, 1e4, 1e5, 1e6, 1e8, 1e10]) {
      const params = { l2Sensitivity: l2, localVariance: 2 * rate, nodes: 1, dimension: d };
      for (const a of [2, 8, 32, 256]) {
        const gauss = (a * l2 * l2) / (4 * rate);
        expect(gauss).toBeCloseTo(rdpGaussian(Math.sqrt(2 * rate) / l2, a), 12);
        expect(rdpSkellam(params, a)).toBeGreaterThanOrEqual(gauss);
      }
      const gap = rdpSkellam(params, 8) / ((8 * l2 * l2) / (4 * rate)) - 1;
      expect(gap).toBeLessThan(lastGap);
      lastGap = gap;
    }
    expect(lastGap).toBeLessThan(1e-6);
    // Epsilon follows: 100 nodes at z = 1.2 over a large ring scale are within 0.1% of the Gaussian at z
    // (on integer orders for both: fractional ones are rounded up for Skellam, a small extra loss).
    const z = 1.2;
    const orders = Array.from({ length: 255 }, (_, i) => i + 2);
    const mu = distributedLocalVariance(z, 5000, 100);
    const sk = skellamEpsilon({ params: { l2Sensitivity: 5000, localVariance: mu, nodes: 100, dimension: 1e6 }, delta: 1e-5, count: 10, orders });
    const g = sampledGaussianEpsilon({ samplingRate: 1, noiseMultiplier: z, steps: 10, delta: 1e-5, orders });
    expect(sk.epsilon).toBeGreaterThanOrEqual(g.epsilon);
    expect(sk.epsilon / g.epsilon - 1).toBeLessThan(1e-3);
  });

  it('fractional orders use ceil(alpha) (Rényi divergence is monotone in the order)', () => {
    const p = central(50, 2, 4);
    expect(rdpSkellam(p, 2.3)).toBe(rdpSkellam(p, 3));
    expect(rdpSkellam(p, 1.1)).toBe(rdpSkellam(p, 2));
    expect(rdpSkellam(p, Infinity)).toBe(Infinity);
  });

  it('curve, composition and sampling: count scales, q = 1 is the plain curve, q = 0 is 0, q < 1 helps and stays above the sampled Gaussian', () => {
    const p: SkellamParams = { l2Sensitivity: 50, localVariance: distributedLocalVariance(1, 50, 20), nodes: 20, dimension: 1000 };
    const orders = [2, 3, 4.5, 10, 64];
    const one = rdpSkellamOrders(p, orders);
    const ten = rdpSkellamOrders(p, orders, { count: 10 });
    for (let k = 0; k < orders.length; k++) {
      expect(one[k]).toBe(rdpSkellam(p, orders[k]!));
      expect(ten[k]).toBeCloseTo(10 * one[k]!, 12);
    }
    expect(Array.from(rdpSkellamOrders(p, orders, { samplingRate: 0 }))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(rdpSkellamOrders(p, orders, { count: 0 }))).toEqual([0, 0, 0, 0, 0]);
    const sampled = rdpSkellamOrders(p, orders, { samplingRate: 0.01 });
    for (let k = 0; k < orders.length; k++) {
      expect(sampled[k]).toBeLessThan(one[k]!);
      // The Skellam curve bounds the Gaussian's from above, and Zhu-Wang bounds the exact sampled value.
      expect(sampled[k]).toBeGreaterThanOrEqual(rdpSampledGaussian(0.01, 1, Math.ceil(orders[k]!)) * (1 - 1e-9));
    }
    const eps = skellamEpsilon({ params: p, delta: 1e-6, samplingRate: 0.01, count: 100, orders });
    expect(eps).toEqual(rdpToEpsilon(orders, rdpSkellamOrders(p, orders, { samplingRate: 0.01, count: 100 }), 1e-6));
    expect(skellamEpsilon({ params: p, delta: 1e-6, conversion: 'classic' }).epsilon).toBeGreaterThan(skellamEpsilon({ params: p, delta: 1e-6 }).epsilon);
    expect(skellamEpsilon({ params: p, delta: 1e-6 }).order).not.toBeNull();
    expect(DEFAULT_RDP_ORDERS.length).toBeGreaterThan(100);
  });

  it('works with the rounded sensitivities of ddgSensitivity (same conditional rounding as the DDG)', () => {
    const { l2, l1 } = ddgSensitivity({ clip: 1, granularity: 1 / 1024, dimension: 4096, beta: Math.exp(-0.5) });
    const p = { l2Sensitivity: l2, l1Sensitivity: l1, localVariance: distributedLocalVariance(1, l2, 16), nodes: 16, dimension: 4096 };
    const { epsilon } = skellamEpsilon({ params: p, delta: 1e-5, count: 100 });
    expect(Number.isFinite(epsilon) && epsilon > 0).toBe(true);
  });

  it('rejects hostile inputs', () => {
    const ok: SkellamParams = { l2Sensitivity: 5, localVariance: 1, nodes: 3, dimension: 10 };
    for (const [k, v] of [
      ['l2Sensitivity', 0],
      ['l2Sensitivity', NaN],
      ['l2Sensitivity', Infinity],
      ['l1Sensitivity', -1],
      ['l1Sensitivity', NaN],
      ['localVariance', -1],
      ['localVariance', 0],
      ['localVariance', Infinity],
      ['nodes', 0],
      ['nodes', 1.5],
      ['nodes', 2 ** 53],
      ['dimension', 0],
      ['dimension', -3],
    ] as const) {
      expect(() => rdpSkellam({ ...ok, [k]: v }, 2), `${k} = ${v}`).toThrow(RangeError);
    }
    expect(() => rdpSkellam({ ...ok, l2Sensitivity: '5' as never }, 2)).toThrow(TypeError);
    expect(() => rdpSkellam(null as never, 2)).toThrow(TypeError);
    for (const a of [1, 0.5, -2, NaN, -Infinity]) expect(() => rdpSkellam(ok, a)).toThrow(RangeError);
    expect(() => rdpSkellam(ok, '2' as never)).toThrow(TypeError);
    expect(() => rdpSkellamOrders(ok, [])).toThrow(TypeError);
    expect(() => rdpSkellamOrders(ok, [2, 1])).toThrow(RangeError);
    for (const q of [-0.1, 1.5, NaN]) expect(() => rdpSkellamOrders(ok, [2], { samplingRate: q })).toThrow(RangeError);
    for (const c of [-1, 1.5, NaN, Infinity]) expect(() => rdpSkellamOrders(ok, [2], { count: c })).toThrow(RangeError);
    for (const delta of [0, 1, -1, NaN]) expect(() => skellamEpsilon({ params: ok, delta })).toThrow(RangeError);
    expect(() => skellamEpsilon(null as never)).toThrow(TypeError);
    expect(() => distributedLocalVariance(0, 1, 1)).toThrow(RangeError);
    expect(() => distributedLocalVariance(1, NaN, 1)).toThrow(RangeError);
    expect(() => distributedLocalVariance(1, 1, 0)).toThrow(RangeError);
  });
});
