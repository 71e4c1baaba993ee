// The round plan's pure parts: K split over instances by ready nodes (largest remainder), each
// instance's draw (Poisson at q, or its quota; never above the ring's group size), the deadline,
// and a stored plan checked before any instance relies on it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeCryptoProvider, seededRandom } from '@fedtune/shared';
import { testPlan } from '../../test/round-plan-fixture.js';
import { drawGroup, parsePlan, roundDeadline, splitQuota } from './round-plan.js';

const rng = (s: string) => seededRandom(nodeCryptoProvider, s);
const ids = (n: number, p = 'n') => Array.from({ length: n }, (_, i) => `${p}${i}`);

describe('splitQuota', () => {
  it('splits K in proportion to ready nodes, largest remainders first', () => {
    expect(splitQuota(10, [{ id: 'a', ready: 50 }, { id: 'b', ready: 30 }, { id: 'c', ready: 20 }])).toEqual({ a: 5, b: 3, c: 2 });
    expect(splitQuota(10, [{ id: 'a', ready: 1 }, { id: 'b', ready: 1 }, { id: 'c', ready: 1 }])).toEqual({ a: 1, b: 1, c: 1 });
    expect(splitQuota(2, [{ id: 'a', ready: 1 }, { id: 'b', ready: 1 }, { id: 'c', ready: 1 }])).toEqual({ a: 1, b: 1, c: 0 });
    expect(splitQuota(5, [{ id: 'a', ready: 0 }, { id: 'b', ready: 0 }])).toEqual({ a: 0, b: 0 });
    expect(splitQuota(5, [])).toEqual({});
  });

  it('property: gives exactly min(K, ready), never more to an instance than it has, each within one of its share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.integer({ min: -3, max: 2000 }), { minLength: 1, maxLength: 8 }), (k, readies) => {
        const load = readies.map((ready, i) => ({ id: `i${i}`, ready }));
        const q = splitQuota(k, load);
        const total = load.reduce((s, l) => s + Math.max(0, l.ready), 0);
        expect(Object.values(q).reduce((a, b) => a + b, 0)).toBe(Math.min(k, total));
        for (const l of load) {
          expect(q[l.id]!).toBeLessThanOrEqual(Math.max(0, l.ready));
          if (total > 0) expect(Math.abs(q[l.id]! - (Math.min(k, total) * Math.max(0, l.ready)) / total)).toBeLessThan(1);
        }
      }),
    );
  });
});

describe('drawGroup', () => {
  it('Poisson at q = 1 takes every ready node; at q the count is Binomial (4-sigma band over 20,000 draws)', () => {
    expect(drawGroup({ selection: { kind: 'poisson', q: 1 }, maxGroup: 100 }, 'a', ids(40), rng('x')).selected).toHaveLength(40);
    const r = rng('poisson');
    let sum = 0;
    for (let i = 0; i < 200; i++) sum += drawGroup({ selection: { kind: 'poisson', q: 0.25 }, maxGroup: 1000 }, 'a', ids(100), r).selected.length;
    // n = 20,000 Bernoulli(0.25): mean 5,000, sd 61.2.
    expect(Math.abs(sum - 5000)).toBeLessThan(4 * 61.3);
  });

  it('a quota with over-selection, and never more than maxGroup (a uniform subset)', () => {
    const d = drawGroup({ selection: { kind: 'quota', quotas: { a: 10 }, overSelection: 0.5 }, maxGroup: 100 }, 'a', ids(50), rng('q'));
    expect(d.selected).toHaveLength(15);
    expect(d.target).toBe(10);
    expect(new Set(d.selected).size).toBe(15);
    expect(drawGroup({ selection: { kind: 'quota', quotas: {}, overSelection: 0 }, maxGroup: 100 }, 'b', ids(50), rng('q')).selected).toEqual([]);
    const capped = drawGroup({ selection: { kind: 'poisson', q: 1 }, maxGroup: 7 }, 'a', ids(50), rng('c'));
    expect(capped.selected).toHaveLength(7);
    expect(capped.target).toBe(7);
  });

  it('refuses a malformed sampling rate', () => {
    for (const q of [0, -1, 1.5, NaN]) expect(() => drawGroup({ selection: { kind: 'poisson', q }, maxGroup: 5 }, 'a', ids(3), rng('z'))).toThrow(expect.objectContaining({ code: 'FT_ERR_CONFIG' }));
  });
});

describe('plans', () => {
  it('the deadline covers collection, each SecAgg stage and a margin', () => {
    expect(roundDeadline(1000, 60_000, 10_000, false, 5000)).toBe(1000 + 60_000 + 40_000 + 5000);
    expect(roundDeadline(0, 1, 10, true, 0)).toBe(51);
  });

  it('a stored plan missing what instances rely on is refused with FT_ERR_STORE', () => {
    const good = testPlan({ round: 3 });
    expect(parsePlan(JSON.parse(JSON.stringify(good)))).toEqual(good);
    for (const bad of [null, 3, 'x', { ...good, round: 1.5 }, { ...good, ring: null }, { ...good, maxGroup: 1 }, { ...good, instances: 'a' }, { ...good, deadlineAt: null }]) {
      expect(() => parsePlan(bad)).toThrow(expect.objectContaining({ code: 'FT_ERR_STORE' }));
    }
  });
});
