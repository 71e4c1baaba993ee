import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rdpGaussian, rdpSampledGaussian, rdpSampledGaussianOrders } from './rdp-gaussian.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('RDP of the (sampled) Gaussian mechanism (MTZ19)', () => {
  it('matches dp_accounting test_compute_rdp_poisson_sampled_gaussian to 1e-6', () => {
    // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
    // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, z = 2.5, count = 50, orders [1.5, 2.5, 5, 50, 100, inf]
    // -> [6.70579741e-04, 1.08548710e-03, 2.18075656e-03, 2.38460375e-02, 1.67416308e02, inf] (9 digits published).
    const got = rdpSampledGaussianOrders(0.01, 2.5, [1.5, 2.5, 5, 50, 100, Infinity], 50);
    const want = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    want.forEach((w, k) => expect(rel(got[k]!, w)).toBeLessThan(1e-6));
    expect(got[5]).toBe(Infinity);
  });

  it('matches TF Privacy rdp_accountant_test (test_compute_rdp_scalar, _no_sampling, _no_data)', () => {
    // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py:
    // test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) = 0.07737 (5 places).
    expect(Math.abs(rdpSampledGaussian(0.1, 2, 5) * 10 - 0.07737)).toBeLessThan(5e-6);
    // test_compute_rdp_no_sampling: compute_rdp(1, 10, 1, 20) = 0.1; test_compute_rdp_no_data: q = 0 -> 0.
    expect(rdpSampledGaussian(1, 10, 20)).toBe(0.1);
    expect(rdpSampledGaussian(0, 10, 20)).toBe(0);
  });

  it('q = 1 reduces to alpha / (2 z^2); z = 0 and alpha = inf give +Infinity; q = 0 gives 0 even at z = 0', () => {
    // dp_accounting test_compute_rdp_gaussian: alpha = 3.14159, sigma = 2.71828 -> alpha / (2 sigma^2).
    expect(rdpSampledGaussian(1, 2.71828, 3.14159)).toBeCloseTo(3.14159 / (2 * 2.71828 ** 2), 14);
    expect(rdpGaussian(2.71828, 3.14159)).toBe(3.14159 / (2 * 2.71828 ** 2));
    expect(rdpSampledGaussian(0.5, 0, 2)).toBe(Infinity);
    expect(rdpSampledGaussian(0.5, 1, Infinity)).toBe(Infinity);
    expect(rdpSampledGaussian(0, 0, 2)).toBe(0);
  });

  it('tiny q = 1e-4: the log-space sum equals the direct sum of A_alpha - 1 (no cancellation at this size)', () => {
    // A_alpha - 1 = sum_{i>=2} C(alpha,i) q^i (1-q)^(alpha-i) (e^((i^2-i)/(2 z^2)) - 1) (MTZ19 Sec. 3.2).
    const q = 1e-4;
    for (const z of [0.5, 1, 4]) {
      for (const a of z < 1 ? [2, 3, 8] : [2, 3, 8, 32]) {
        let x = 0;
        let binom = 1;
        for (let i = 1; i <= a; i++) {
          binom = (binom * (a - i + 1)) / i;
          if (i >= 2) x += binom * q ** i * (1 - q) ** (a - i) * Math.expm1((i * i - i) / (2 * z * z));
        }
        expect(rel(rdpSampledGaussian(q, z, a), Math.log1p(x) / (a - 1))).toBeLessThan(1e-9);
      }
    }
    expect(rdpSampledGaussian(1e-4, 1, 1.5)).toBeGreaterThan(0);
    expect(rdpSampledGaussian(1e-4, 1, 1.5)).toBeLessThan(rdpSampledGaussian(1e-3, 1, 1.5));
  });

  it('fractional orders are an upper bound (generalized binomials summed in absolute value), as in dp_accounting', () => {
    // mpmath quadrature of A_alpha (the method of dp_accounting test_compute_log_a_equals_mp), q = 0.05,
    // z = 6.2984267464416455: alpha 1.5 -> 4.783474883847635e-05, alpha 2.5 -> 7.982200699200857e-05, and
    // dp_accounting's series gives 8.42566448084485e-05 and 8.023109417426773e-05, as we do: loose, never low.
    const z = 6.2984267464416455;
    expect(rel(rdpSampledGaussian(0.05, z, 1.5), 8.42566448084485e-5)).toBeLessThan(1e-9);
    expect(rel(rdpSampledGaussian(0.05, z, 2.5), 8.023109417426773e-5)).toBeLessThan(1e-9);
    expect(rdpSampledGaussian(0.05, z, 1.5)).toBeGreaterThan(4.783474883847635e-5);
    expect(rdpSampledGaussian(0.05, z, 2.5)).toBeGreaterThan(7.982200699200857e-5);
  });

  it('a fractional order whose series does not settle in 1000 terms is +Infinity (skipped, as dp_accounting does)', () => {
    expect(rdpSampledGaussian(0.5, 1, 1.5)).toBe(Infinity);
    expect(Number.isFinite(rdpSampledGaussian(0.5, 1, 2))).toBe(true);
  });

  it('is monotone: up in q and alpha, down in z (integer and fractional orders)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 0.05, noNaN: true }),
        fc.double({ min: 0.6, max: 10, noNaN: true }),
        fc.constantFrom(1.5, 2, 2.5, 3, 10, 10.5, 32),
        (q, z, a) => {
          const r = rdpSampledGaussian(q, z, a);
          expect(r).toBeGreaterThanOrEqual(0);
          expect(rdpSampledGaussian(Math.min(1, q * 1.1), z, a)).toBeGreaterThanOrEqual(r * (1 - 1e-9));
          expect(rdpSampledGaussian(q, z * 1.1, a)).toBeLessThanOrEqual(r * (1 + 1e-9));
          // Exact at integer orders, so monotone in alpha there (fractional orders are an upper bound, below).
          if (Number.isInteger(a)) expect(rdpSampledGaussian(q, z, a + 1)).toBeGreaterThanOrEqual(r * (1 - 1e-9));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects hostile inputs', () => {
    for (const bad of [NaN, Infinity, -0.1, 1.5]) expect(() => rdpSampledGaussian(bad, 1, 2)).toThrow(RangeError);
    for (const bad of [NaN, Infinity, -1]) expect(() => rdpSampledGaussian(0.1, bad, 2)).toThrow(RangeError);
    for (const bad of [NaN, 1, 0.5, -2]) expect(() => rdpSampledGaussian(0.1, 1, bad)).toThrow(RangeError);
    expect(() => rdpSampledGaussian('0.1' as never, 1, 2)).toThrow(TypeError);
    expect(() => rdpGaussian(1, '2' as never)).toThrow(TypeError);
    for (const c of [-1, 1.5, NaN]) expect(() => rdpSampledGaussianOrders(0.1, 1, [2], c)).toThrow(RangeError);
  });
});
