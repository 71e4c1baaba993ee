import { describe, expect, it } from 'vitest';
import { rdpToDelta, rdpToEpsilon } from './conversion.js';
import { rdpSampledGaussian } from './rdp-gaussian.js';

describe('RDP -> (epsilon, delta) conversions', () => {
  it('improved: pure-DP curve rdp = 1.1 on orders 2..32 at delta 1e-5 gives 1.32783806176 at order 32', () => {
    // dp_accounting rdp_privacy_accountant_test.py test_compute_epsilon_delta_pure_dp and TF Privacy
    // rdp_accountant_test.py test_get_privacy_spent_check_target_delta / _check_target_eps.
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const rdp = orders.map(() => 1.1);
    const e = rdpToEpsilon(orders, rdp, 1e-5);
    expect(Math.abs(e.epsilon - 1.32783806176)).toBeLessThan(1e-10);
    expect(e.order).toBe(32);
    const d = rdpToDelta(orders, rdp, 1.32783806176);
    expect(Math.abs(d.delta - 1e-5) / 1e-5).toBeLessThan(1e-6);
    expect(d.order).toBe(32);
  });

  it('improved: the Gaussian with z = 4.530877117 is (1, 1e-6)-DP on a fine order grid', () => {
    // dp_accounting test_compute_epsilon_delta_gaussian (orders 0.001 * i, i in [1000, 100000)).
    const orders: number[] = [];
    for (let i = 1001; i < 100000; i++) orders.push(0.001 * i);
    const rdp = orders.map((a) => rdpSampledGaussian(1, 4.530877117, a));
    expect(Math.abs(rdpToEpsilon(orders, rdp, 1e-6).epsilon - 1)).toBeLessThan(1e-7);
    expect(Math.abs(rdpToDelta(orders, rdp, 1).delta - 1e-6) / 1e-6).toBeLessThan(1e-5);
  });

  it('classic is eps = rdp + log(1/delta)/(alpha - 1) and never below improved', () => {
    const orders = [2, 4, 8, 16];
    const rdp = [0.1, 0.3, 0.9, 2];
    const classic = rdpToEpsilon(orders, rdp, 1e-5, 'classic');
    const expected = Math.min(...orders.map((a, k) => rdp[k]! + Math.log(1e5) / (a - 1)));
    expect(classic.epsilon).toBeCloseTo(expected, 14);
    expect(rdpToEpsilon(orders, rdp, 1e-5, 'improved').epsilon).toBeLessThan(classic.epsilon);
  });

  it('epsilon and delta are consistent (dp_accounting test_epsilon_delta_consistency)', () => {
    const orders = Array.from({ length: 48 }, (_, i) => i + 2);
    for (const q of [0.01, 0.1, 0.8, 1]) {
      for (const z of [0.1, 1, 10, 100]) {
        const rdp = orders.map((a) => rdpSampledGaussian(q, z, a));
        for (const delta of [0.9, 0.1, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const e = rdpToEpsilon(orders, rdp, delta);
          const d = rdpToDelta(orders, rdp, e.epsilon);
          if (e.epsilon === Infinity) expect(d.delta).toBe(1);
          else if (e.epsilon === 0) expect(d.delta).toBeLessThanOrEqual(delta);
          else expect(Math.abs(d.delta - delta) / delta).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('zero RDP (q = 0) gives epsilon 0; infinite RDP gives epsilon Infinity and order null', () => {
    expect(rdpToEpsilon([2, 3], [0, 0], 1e-10).epsilon).toBe(0);
    expect(rdpToEpsilon([2, 3], [Infinity, Infinity], 1e-1)).toEqual({ epsilon: Infinity, order: null });
  });

  it('rejects hostile inputs', () => {
    for (const d of [0, 1, 1.5, -1, NaN, Infinity]) expect(() => rdpToEpsilon([2], [1], d)).toThrow(RangeError);
    expect(() => rdpToEpsilon([2], [1], '0.1' as never)).toThrow(TypeError);
    expect(() => rdpToEpsilon([2, 3], [1], 1e-5)).toThrow(RangeError);
    expect(() => rdpToEpsilon([], [], 1e-5)).toThrow(RangeError);
    expect(() => rdpToEpsilon([1], [1], 1e-5)).toThrow(RangeError);
    expect(() => rdpToEpsilon([2], [NaN], 1e-5)).toThrow(RangeError);
    expect(() => rdpToEpsilon([2], [1], 1e-5, 'tight' as never)).toThrow(RangeError);
    for (const e of [-1, NaN, Infinity]) expect(() => rdpToDelta([2], [1], e)).toThrow(RangeError);
  });
});
