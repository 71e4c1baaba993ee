// Cohort selection under DP: Poisson at q = K/N with N never below the nodes that exist.
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { dpPopulation, selectUnderDp } from './selection.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);

describe('selection under DP', () => {
  it('N is the largest of the configured population, the enrolled identities and the ids seen', () => {
    expect(dpPopulation(undefined, undefined, 0)).toBe(1);
    expect(dpPopulation(3, undefined, 2)).toBe(3);
    expect(dpPopulation(3, undefined, 7)).toBe(7);
    expect(dpPopulation(3, 12, 7)).toBe(12);
  });

  it('a uniform K becomes Poisson at q = min(1, K/N); the Poisson rate is kept; q is what it returns', () => {
    const rng = seededRandom(nodeCryptoProvider, 'sel');
    expect(selectUnderDp(ids(5), { kind: 'uniform', clientsPerRound: 10, overSelection: 0.5 }, 5, rng)).toMatchObject({ samplingRate: 1, target: 5 });
    const q = selectUnderDp(ids(4), { kind: 'uniform', clientsPerRound: 2, overSelection: 0.5 }, 3, rng).samplingRate;
    expect(q).toBeCloseTo(2 / 3, 15);
    expect(selectUnderDp(ids(4), { kind: 'poisson', sampleRate: 0.25 }, 100, rng).samplingRate).toBe(0.25);
    // Each node independently: over 2,000 draws of 10 nodes at q = 0.3 the mean cohort is 3 (5 sd: 0.27).
    let total = 0;
    for (let i = 0; i < 2000; i++) total += selectUnderDp(ids(10), { kind: 'uniform', clientsPerRound: 3, overSelection: 0 }, 10, rng).selected.length;
    expect(Math.abs(total / 2000 - 3)).toBeLessThan(5 * Math.sqrt((10 * 0.3 * 0.7) / 2000));
  });

  it('refuses hostile parameters', () => {
    const rng = seededRandom(nodeCryptoProvider, 'bad');
    for (const bad of [0, -1, 1.5, NaN, Infinity]) expect(() => selectUnderDp(ids(3), { kind: 'poisson', sampleRate: 0.5 }, bad, rng)).toThrow(RangeError);
    for (const bad of [0, -1, 1.5, NaN]) expect(() => selectUnderDp(ids(3), { kind: 'uniform', clientsPerRound: bad, overSelection: 0 }, 3, rng)).toThrow(RangeError);
    for (const bad of [0, -0.1, 1.1, NaN]) expect(() => selectUnderDp(ids(3), { kind: 'poisson', sampleRate: bad }, 3, rng)).toThrow(RangeError);
  });
});
