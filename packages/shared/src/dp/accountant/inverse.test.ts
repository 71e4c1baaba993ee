import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FedtuneError } from '../../errors/catalogue.js';
import { calibrateNoiseMultiplier, noiseMultiplierForEpsilon } from './inverse.js';
import { sampledGaussianEpsilon } from './rdp-accountant.js';

const TFP_ORDERS = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...Array.from({ length: 59 }, (_, i) => i + 5), 128, 256, 512];

describe('noise calibration (inverse accountant)', () => {
  it('reproduces TF Privacy compute_noise_from_budget_test (classic conversion, as those values were made)', () => {
    // tensorflow_privacy/privacy/analysis/compute_noise_from_budget_test.py test_compute_noise:
    // (60000, 150, eps 0.941870567, 15 epochs, 1e-5) -> 1.3; (100000, 100, 1.70928734, 30, 1e-7) -> 1.0 (7 places).
    const cases: [number, number, number, number, number, number][] = [
      [60000, 150, 0.941870567, 15, 1e-5, 1.3],
      [100000, 100, 1.70928734, 30, 1e-7, 1.0],
    ];
    for (const [n, batch, eps, epochs, delta, z] of cases) {
      const got = noiseMultiplierForEpsilon({ targetEpsilon: eps, delta, samplingRate: batch / n, steps: Math.ceil((epochs * n) / batch), orders: TFP_ORDERS, conversion: 'classic' });
      expect(Math.abs(got - z)).toBeLessThan(5e-7);
    }
  });

  it('round-trips: epsilon(z*) <= target and epsilon(z* (1 - 1e-6)) > target', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 0.1, noNaN: true }),
        fc.double({ min: 0.5, max: 8, noNaN: true }),
        fc.integer({ min: 1, max: 3000 }),
        (q, target, steps) => {
          const z = noiseMultiplierForEpsilon({ targetEpsilon: target, delta: 1e-6, samplingRate: q, steps });
          const e = (v: number): number => sampledGaussianEpsilon({ samplingRate: q, noiseMultiplier: v, steps, delta: 1e-6 }).epsilon;
          expect(e(z)).toBeLessThanOrEqual(target);
          expect(e(z * (1 - 1e-6))).toBeGreaterThan(target);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('finds multipliers far below 1 and fails cleanly when none reaches the target', () => {
    const z = calibrateNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, epsilonFor: (v) => 1e-3 / v });
    expect(z).toBeCloseTo(1e-3, 8);
    expect(() => calibrateNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, epsilonFor: () => 2 })).toThrow(FedtuneError);
  });

  it('rejects hostile inputs', () => {
    const ok = { targetEpsilon: 1, delta: 1e-5, samplingRate: 0.01, steps: 100 };
    for (const [k, v] of [
      ['targetEpsilon', 0],
      ['targetEpsilon', NaN],
      ['targetEpsilon', Infinity],
      ['delta', 1],
      ['samplingRate', 0],
      ['samplingRate', 1.5],
      ['steps', 0],
      ['steps', 2.5],
    ] as const) {
      expect(() => noiseMultiplierForEpsilon({ ...ok, [k]: v })).toThrow(RangeError);
    }
    expect(() => calibrateNoiseMultiplier({ targetEpsilon: 1, delta: 1e-5, epsilonFor: 3 as never })).toThrow(TypeError);
  });
});
