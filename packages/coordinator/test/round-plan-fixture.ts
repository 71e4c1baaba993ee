// A valid RoundPlan for the cluster tests: a ring for ten summands, groups of 2 to 10, every
// node drawn, no DP; each test overrides what it is about.
import type { RoundPlan } from '../src/cluster/round-plan.js';

export function testPlan(overrides: Partial<RoundPlan> = {}): RoundPlan {
  return {
    round: 1,
    epoch: 1,
    modelVersion: 'f'.repeat(64),
    fitConfig: {},
    ring: { bits: 32, scale: 1024, maxSummands: 10, clientBound: 100 },
    l2Clip: 1,
    minGroup: 2,
    maxGroup: 10,
    selection: { kind: 'poisson', q: 1 },
    dp: null,
    instances: ['a'],
    plannedAt: 0,
    deadlineAt: 10,
    population: 10,
    ...overrides,
  };
}
